#include "early_free.hpp"

#include <Python.h>

#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>

#include "early_free_module.hpp"
#include "embedded_modules.hpp"
#include "import_pass_module.hpp"
#include "main_code_swap.hpp"
#include "method_call.hpp"
#include "report.hpp"
#include "shrinkpy/analyzer/release_plan.hpp"

namespace shrinkpy::runtime {
namespace {

bool g_enabled = false;  // the loader hook is installed: early freeing, the import pass or both
bool g_early_free = false;
bool g_imports = false;
EarlyFreeSettings g_settings;

// Setting a tracer or profiler gives functions their original code back: a debugger or coverage
// reads the locals a release would remove. The loader hook's restore_originals does it, once (later
// calls would show up in what the tracer records).
PyObject* g_restore = nullptr;  // kept for the process's life
bool g_restored = false;

void restore_originals_once() {
    if (g_restored || g_restore == nullptr) return;
    g_restored = true;
    PyObject* result = PyObject_CallNoArgs(g_restore);
    if (result == nullptr) PyErr_Clear();
    Py_XDECREF(result);
}

// Tracers set from C (PyEval_SetTrace, PyEval_SetProfile: coverage's, cProfile's) are seen by their
// audit events (since 3.9). Audit hooks must not raise, or the audited call fails.
int watch_tracers(const char* event, PyObject*, void*) {
    if (std::strcmp(event, "sys.settrace") == 0 || std::strcmp(event, "sys.setprofile") == 0) restore_originals_once();
    return 0;
}

// Tracers set from Python: sys.settrace and sys.setprofile are wrapped so that the originals come
// back before CPython's _PyEval_SetTrace (_PyEval_SetProfile) starts. Those hold a process-wide
// `reentrant` flag around their audit event (Python/ceval.c, 3.11), and restoring runs Python code
// and reads sources, which lets other threads run: one of them setting its own tracer meanwhile got
// "Cannot install a trace function while another trace function is being installed" (CPython's
// test_import, test_concurrency; threading.settrace makes every new thread set one).
// Bound to the sys module as the originals are, so that they look the same (repr, __self__, help).
PyObject* g_setters[2] = {};  // the original sys.settrace and sys.setprofile

template <int I>
PyObject* set_tracer_first(PyObject*, PyObject* tracer) {
    restore_originals_once();
    return PyObject_CallOneArg(g_setters[I], tracer);
}

void wrap_tracer_setters() {
    static PyMethodDef defs[] = {{"settrace", set_tracer_first<0>, METH_O, nullptr},
                                 {"setprofile", set_tracer_first<1>, METH_O, nullptr}};
    static std::string docs[std::size(defs)];
    PyObject* sys = PyImport_AddModule("sys");  // borrowed
    PyObject* module_name = PyUnicode_FromString("sys");
    for (size_t i = 0; i < std::size(defs) && sys != nullptr && module_name != nullptr; ++i) {
        PyObject* original = PyObject_GetAttrString(sys, defs[i].ml_name);
        PyObject* doc = original != nullptr ? PyObject_GetAttrString(original, "__doc__") : nullptr;
        const char* text = doc != nullptr && PyUnicode_Check(doc) ? PyUnicode_AsUTF8(doc) : nullptr;
        if (text != nullptr) {
            docs[i] = text;
            defs[i].ml_doc = docs[i].c_str();
        }
        PyObject* wrapper = original != nullptr ? PyCFunction_NewEx(&defs[i], sys, module_name) : nullptr;
        if (wrapper != nullptr && PyObject_SetAttrString(sys, defs[i].ml_name, wrapper) == 0) {
            g_setters[i] = Py_NewRef(original);  // kept for the process's life
        }
        Py_XDECREF(wrapper);
        Py_XDECREF(doc);
        Py_XDECREF(original);
    }
    Py_XDECREF(module_name);
    PyErr_Clear();
}

void warn_and_clear(const char* what) {
    std::fprintf(stderr, "shrinkpython: warning: early freeing is off: %s\n", what);
    if (PyErr_Occurred()) PyErr_Print();
}

}  // namespace

bool prepare_early_free(const Options& options, std::vector<std::string>& warnings) {
    g_imports = prepare_import_pass(options);
    g_settings.scope = options.text(OptionId::rewrite);
    const std::string& mode = options.text(OptionId::early_free);
    g_enabled = g_imports;
    if (mode == "off") return g_enabled;
    g_settings.mode = mode;
    g_settings.count_releases = !options.output_path(OptionId::timeline).empty();
    for (const std::string& rule : split_list(options.text(OptionId::early_free_ignore))) {
        if (analyzer::is_policy_rule(rule)) {
            g_settings.ignored.push_back(rule);
        } else {
            warnings.push_back("SHRINKPY_EARLY_FREE_IGNORE: no early-freeing rule named '" + rule + "'");
        }
    }
    register_early_free_module(g_settings);
    g_early_free = g_enabled = true;
    return true;
}

uint64_t (*early_free_counter())() { return g_early_free && g_settings.count_releases ? releases_run : nullptr; }

void start_early_free() {
    if (!g_enabled) return;
    // The import pass (import_pass_module.hpp) rides on the same loader hook; without early
    // freeing the hook only runs it (rewrite and record are None).
    PyObject* imports = g_imports ? start_import_pass() : nullptr;
    if (!g_early_free && imports == nullptr) return;
    EarlyFreeSummary& summary = early_free_summary();
    PyObject* hook = import_embedded("_shrinkpy_loader");
    PyObject* module = hook != nullptr && g_early_free ? PyImport_ImportModule("_shrinkpy") : nullptr;
    if (hook == nullptr || (g_early_free && module == nullptr)) {
        warn_and_clear("the loader hook does not load");
        Py_XDECREF(hook);
        Py_XDECREF(imports);
        return;
    }
    const PyConfig* config = _PyInterpreterState_GetConfig(PyInterpreterState_Get());
    PyObject* main_module =
        config->run_module != nullptr ? PyUnicode_FromWideChar(config->run_module, -1) : Py_NewRef(Py_None);
    PyObject* rewrite = module != nullptr ? PyObject_GetAttrString(module, "rewrite") : Py_NewRef(Py_None);
    PyObject* record = module != nullptr ? PyObject_GetAttrString(module, "record") : Py_NewRef(Py_None);
    PyObject* settings = module != nullptr
                             ? call_method(module, "settings")
                             : Py_BuildValue("{s:s,s:s,s:O}", "cache_key", "off", "version", "0", "cache", Py_True);
    PyObject* scope = PyUnicode_FromString(g_settings.scope.c_str());
    PyObject* installed = nullptr;
    if (main_module != nullptr && rewrite != nullptr && record != nullptr && settings != nullptr && scope != nullptr) {
        PyObject* cache_key = PyDict_GetItemString(settings, "cache_key");  // borrowed, as the rest
        PyObject* version = PyDict_GetItemString(settings, "version");
        PyObject* cache = PyDict_GetItemString(settings, "cache");
        installed = cache_key != nullptr && version != nullptr && cache != nullptr
                        ? call_method(hook, "install", rewrite, record, scope, cache_key, version, main_module, cache,
                                      imports != nullptr ? imports : Py_None)
                        : nullptr;
    }
    Py_XDECREF(scope);
    Py_XDECREF(rewrite);
    Py_XDECREF(record);
    Py_XDECREF(settings);
    Py_XDECREF(main_module);
    Py_XDECREF(module);
    Py_XDECREF(imports);
    if (installed == nullptr) {
        warn_and_clear("the loader hook does not install");
        Py_DECREF(hook);
        return;
    }
    Py_DECREF(installed);
    if (g_early_free) {
        summary.mode = g_settings.mode;
        summary.scope = g_settings.scope;
    }

    const auto ignores = [](const char* rule) {
        for (const std::string& r : g_settings.ignored) {
            if (r == rule) return true;
        }
        return false;
    };
    if (g_early_free && !ignores("tracer")) {
        g_restore = PyObject_GetAttrString(hook, "restore_originals");
        if (g_restore == nullptr || PySys_AddAuditHook(watch_tracers, nullptr) != 0) PyErr_Clear();
        if (g_restore != nullptr) wrap_tracer_setters();
    }
    if (config->run_filename != nullptr || config->run_command != nullptr) {
        PyObject* rewrite_main = PyObject_GetAttrString(hook, "rewrite_main");
        PyObject* source =
            config->run_command != nullptr ? PyUnicode_FromWideChar(config->run_command, -1) : Py_NewRef(Py_None);
        if (rewrite_main != nullptr && source != nullptr) {
            // -i (or PYTHONINSPECT) leaves the user at a prompt over __main__'s names: keep them.
            install_main_code_swap(rewrite_main, source, config->inspect == 0);
        } else {
            PyErr_Clear();
        }
        Py_XDECREF(rewrite_main);
        Py_XDECREF(source);
    }
    Py_DECREF(hook);
}

}  // namespace shrinkpy::runtime
