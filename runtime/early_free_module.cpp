#include "early_free_module.hpp"

#include <Python.h>

#include <atomic>
#include <set>

#include "code_bridge.hpp"
#include "report.hpp"
#include "shrinkpy/analyzer/release_plan.hpp"
#include "shrinkpy/analyzer/rewrite.hpp"

namespace shrinkpy::runtime {
namespace {

EarlyFreeSettings g_settings;
std::atomic<uint64_t> g_releases_run{0};

// What a counted release calls (rewrite.hpp): one relaxed increment, read by the timeline sampler.
PyObject* released(PyObject*, PyObject*) {
    g_releases_run.fetch_add(1, std::memory_order_relaxed);
    Py_RETURN_NONE;
}
PyMethodDef kReleased = {"_released", released, METH_NOARGS, "counts one release (timelines only)"};
PyObject* g_counter = nullptr;  // kReleased as a function object, made with the module

// Not PyUnicode_AsUTF8, which would cache a UTF-8 copy inside the program's own strings.
std::string text_of(PyObject* obj) {
    PyObject* s = PyObject_Str(obj);
    PyObject* utf8 = s != nullptr ? PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace") : nullptr;
    std::string out =
        utf8 != nullptr ? std::string(PyBytes_AS_STRING(utf8), static_cast<std::size_t>(PyBytes_GET_SIZE(utf8))) : "?";
    if (utf8 == nullptr) PyErr_Clear();
    Py_XDECREF(utf8);
    Py_XDECREF(s);
    return out;
}

PyObject* rewrite(PyObject*, PyObject* args) {
    PyObject* code = nullptr;
    int module_level = 0;
    PyObject* keep_lines = nullptr;
    if (!PyArg_ParseTuple(args, "O!pO:rewrite", &PyCode_Type, &code, &module_level, &keep_lines)) return nullptr;
    analyzer::ReleasePolicy policy;
    policy.mode = g_settings.mode == "aggressive" ? analyzer::EarlyFreeMode::aggressive : analyzer::EarlyFreeMode::safe;
    policy.module_is_main = module_level != 0;
    policy.ignored_rules = g_settings.ignored;
    policy.count_releases = g_counter != nullptr;
    PyObject* iterator = PyObject_GetIter(keep_lines);
    if (iterator == nullptr) return nullptr;
    while (PyObject* item = PyIter_Next(iterator)) {
        const long line = PyLong_AsLong(item);
        Py_DECREF(item);
        if (line == -1 && PyErr_Occurred()) break;
        policy.keep_lines.push_back(static_cast<std::int32_t>(line));
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return nullptr;
    return analyzer::cpython::rewrite_to_python(code, policy, g_counter);
}

PyObject* record(PyObject*, PyObject* args) {
    PyObject *module = nullptr, *releases = nullptr, *skips = nullptr;
    if (!PyArg_ParseTuple(args, "UO!O!:record", &module, &PyTuple_Type, &releases, &PyTuple_Type, &skips))
        return nullptr;
    EarlyFreeSummary& summary = early_free_summary();
    if (PyUnicode_READ_CHAR(module, 0) != '<') summary.modules += 1;  // not "<tracer>"
    summary.releases += static_cast<std::uint64_t>(PyTuple_GET_SIZE(releases));
    std::set<std::string> rewritten;  // qualnames that got a release
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(releases); ++i) {
        PyObject* r = PyTuple_GET_ITEM(releases, i);
        if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) > 0) rewritten.insert(text_of(PyTuple_GET_ITEM(r, 0)));
    }
    summary.code_objects += rewritten.size();
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(skips); ++i) {
        PyObject* s = PyTuple_GET_ITEM(skips, i);
        if (!PyTuple_Check(s) || PyTuple_GET_SIZE(s) < 4) continue;
        const std::string rule = text_of(PyTuple_GET_ITEM(s, 2));
        summary.skipped[rule] += 1;
        if (rule == "error" && summary.errors.size() < 20) {
            summary.errors.push_back(text_of(module) + ": " + text_of(PyTuple_GET_ITEM(s, 0)) + ": " +
                                     text_of(PyTuple_GET_ITEM(s, 3)));
        }
    }
    Py_RETURN_NONE;
}

PyObject* settings(PyObject*, PyObject*) {
    std::string key = g_settings.mode;
    PyObject* ignored = PyTuple_New(static_cast<Py_ssize_t>(g_settings.ignored.size()));
    if (ignored == nullptr) return nullptr;
    for (std::size_t i = 0; i < g_settings.ignored.size(); ++i) {
        PyTuple_SET_ITEM(ignored, static_cast<Py_ssize_t>(i), PyUnicode_FromString(g_settings.ignored[i].c_str()));
        key += "-no-" + g_settings.ignored[i];
    }
    return Py_BuildValue("{s:s,s:s,s:N,s:s,s:s,s:O}", "mode", g_settings.mode.c_str(), "scope",
                         g_settings.scope.c_str(), "ignored", ignored, "version", analyzer::kRewriterVersion,
                         "cache_key", key.c_str(), "cache", g_settings.count_releases ? Py_False : Py_True);
}

PyObject* keep_alive(PyObject*, PyObject*) { Py_RETURN_NONE; }

PyMethodDef kMethods[] = {
    {"rewrite", rewrite, METH_VARARGS,
     "rewrite(code, module_level, keep_lines) -> (code, releases, skips): early freeing for a module's code."},
    {"record", record, METH_VARARGS, "record(module, releases, skips): count what the rewriter did, for the report."},
    {"settings", settings, METH_NOARGS, "settings() -> dict: mode, scope, ignored rules, version, cache_key."},
    {"keep_alive", keep_alive, METH_VARARGS, "keep_alive(*objects): keeps its arguments alive up to this call."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT,
                       "_shrinkpy",
                       "shrinkpython's early-freeing rewriter (built in).",
                       -1,
                       kMethods,
                       nullptr,
                       nullptr,
                       nullptr,
                       nullptr};

PyObject* init_module() {
    PyObject* module = PyModule_Create(&kModule);
    if (module != nullptr && g_settings.count_releases && g_counter == nullptr) {
        g_counter = PyCFunction_NewEx(&kReleased, nullptr, nullptr);  // kept for the process's life
        if (g_counter == nullptr) Py_CLEAR(module);
    }
    return module;
}

}  // namespace

std::uint64_t releases_run() { return g_releases_run.load(std::memory_order_relaxed); }

void register_early_free_module(EarlyFreeSettings settings) {
    g_settings = std::move(settings);
    PyImport_AppendInittab("_shrinkpy", &init_module);
}

}  // namespace shrinkpy::runtime
