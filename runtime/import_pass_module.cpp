// _shrinkpy_imports and the start of the import pass (import_pass_module.hpp).
#define PY_SSIZE_T_CLEAN
#include "import_pass_module.hpp"

#include <cstdio>

#include "code_bridge.hpp"
#include "embedded_modules.hpp"
#include "import_bridge.hpp"
#include "method_call.hpp"
#include "report.hpp"
#include "shrinkpy/analyzer/import_rewrite.hpp"
#include "shrinkpy/analyzer/module_effects.hpp"

namespace shrinkpy::runtime {
namespace {

using analyzer::cpython::Ref;
using analyzer::cpython::text_of;

std::string g_mode;                        // SHRINKPY_IMPORTS
std::vector<std::string> g_eager_modules;  // SHRINKPY_IMPORTS_EAGER

PyObject* rewrite_imports(PyObject*, PyObject* args) {
    PyObject* code = nullptr;
    const char* mode = nullptr;
    int is_main = 0;
    PyObject *eager_lines = nullptr, *eager_modules = nullptr, *probe = nullptr, *is_submodule = nullptr;
    if (!PyArg_ParseTuple(args, "O!spOOOO:rewrite_imports", &PyCode_Type, &code, &mode, &is_main, &eager_lines,
                          &eager_modules, &probe, &is_submodule))
        return nullptr;
    analyzer::ImportPolicy policy;
    if (!analyzer::cpython::import_policy_from_python(mode, is_main != 0, eager_lines, eager_modules, probe,
                                                      is_submodule, policy))
        return nullptr;
    return analyzer::cpython::rewrite_imports_to_python(code, policy);
}

PyObject* import_effects(PyObject*, PyObject* code) {
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "import_effects() takes a code object");
        return nullptr;
    }
    analyzer::Error error;
    const auto converted = analyzer::cpython::code_from_python(code, error);
    if (!converted) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, error.describe().c_str());
        return nullptr;
    }
    const std::vector<std::string> effects = analyzer::import_effects(*converted);
    Ref list(PyList_New(static_cast<Py_ssize_t>(effects.size())));
    if (!list) return nullptr;
    for (std::size_t i = 0; i < effects.size(); ++i) {
        PyObject* s = PyUnicode_DecodeUTF8(effects[i].data(), static_cast<Py_ssize_t>(effects[i].size()), "replace");
        if (s == nullptr) return nullptr;
        PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), s);
    }
    return list.release();
}

// record(module, decisions): decisions as rewrite_imports returns them (dicts with "action").
PyObject* record(PyObject*, PyObject* args) {
    PyObject *module = nullptr, *decisions = nullptr;
    if (!PyArg_ParseTuple(args, "UO:record", &module, &decisions)) return nullptr;
    ImportSummary& summary = import_summary();
    summary.modules += 1;
    Ref iterator(PyObject_GetIter(decisions));
    if (!iterator) return nullptr;
    while (PyObject* row = PyIter_Next(iterator.get())) {
        PyObject* action = PyDict_Check(row) ? PyDict_GetItemString(row, "action") : nullptr;  // borrowed
        if (action != nullptr && PyUnicode_Check(action)) {
            const std::string a = text_of(action);
            if (a == "defer") summary.deferred += 1;
            if (a == "drop") summary.dropped += 1;
        }
        Py_DECREF(row);
    }
    if (PyErr_Occurred()) return nullptr;
    Py_RETURN_NONE;
}

PyObject* deferred(PyObject*, PyObject* args) {
    PyObject *where = nullptr, *module = nullptr, *name = nullptr;
    if (!PyArg_ParseTuple(args, "UUO:deferred", &where, &module, &name)) return nullptr;
    ImportSummary& summary = import_summary();
    summary.proxies.push_back({text_of(where), text_of(module), name == Py_None ? "" : text_of(name), false});
    return PyLong_FromSize_t(summary.proxies.size() - 1);
}

PyObject* loaded(PyObject*, PyObject* token) {
    const std::size_t index = PyLong_AsSize_t(token);
    if (index == static_cast<std::size_t>(-1) && PyErr_Occurred()) return nullptr;
    ImportSummary& summary = import_summary();
    if (index < summary.proxies.size()) summary.proxies[index].loaded = true;
    Py_RETURN_NONE;
}

PyMethodDef kMethods[] = {
    {"rewrite_imports", rewrite_imports, METH_VARARGS,
     "rewrite_imports(code, mode, is_main, eager_lines, eager_modules, probe, is_submodule) -> (code, decisions)"},
    {"import_effects", import_effects, METH_O, "import_effects(code) -> [str]: what importing it does beyond itself."},
    {"record", record, METH_VARARGS, "record(module, decisions): count what the pass did, for the report."},
    {"deferred", deferred, METH_VARARGS, "deferred(where, module, name) -> token: a deferred import was executed."},
    {"loaded", loaded, METH_O, "loaded(token): the deferred import was used, so its module was imported."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT,
                       "_shrinkpy_imports",
                       "shrinkpython's import pass: deferred and dropped imports (built in).",
                       -1,
                       kMethods,
                       nullptr,
                       nullptr,
                       nullptr,
                       nullptr};

PyObject* init_module() { return PyModule_Create(&kModule); }

PyObject* string_tuple(const std::vector<std::string>& items) {
    Ref t(PyTuple_New(static_cast<Py_ssize_t>(items.size())));
    if (!t) return nullptr;
    for (std::size_t i = 0; i < items.size(); ++i) {
        PyObject* s = PyUnicode_FromString(items[i].c_str());
        if (s == nullptr) return nullptr;
        PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), s);
    }
    return t.release();
}

}  // namespace

bool prepare_import_pass(const Options& options) {
    g_mode = options.text(OptionId::imports);
    if (g_mode == "off") return false;
    g_eager_modules = split_list(options.text(OptionId::imports_eager));
    PyImport_AppendInittab("_shrinkpy_imports", &init_module);
    return true;
}

PyObject* start_import_pass() {
    Ref module(PyImport_ImportModule("_shrinkpy_imports"));
    Ref deferred_imports(module ? import_embedded("_shrinkpy_deferred") : nullptr);
    Ref pass_module(deferred_imports ? import_embedded("_shrinkpy_import_pass") : nullptr);
    Ref on_defer(pass_module ? PyObject_GetAttrString(module.get(), "deferred") : nullptr);
    Ref on_load(on_defer ? PyObject_GetAttrString(module.get(), "loaded") : nullptr);
    Ref installed(on_load ? call_method(deferred_imports.get(), "install", on_defer.get(), on_load.get()) : nullptr);
    Ref rewrite(installed ? PyObject_GetAttrString(module.get(), "rewrite_imports") : nullptr);
    Ref effects(rewrite ? PyObject_GetAttrString(module.get(), "import_effects") : nullptr);
    Ref eager(effects ? string_tuple(g_eager_modules) : nullptr);
    Ref mode(eager ? PyUnicode_FromString(g_mode.c_str()) : nullptr);
    // is_user_path is the loader hook's to set: it knows where the standard library and site-packages are.
    Ref pass(mode ? call_method(pass_module.get(), "ImportPass", rewrite.get(), effects.get(), mode.get(), Py_None,
                                eager.get())
                  : nullptr);
    Ref record(pass ? PyObject_GetAttrString(module.get(), "record") : nullptr);
    if (!record || PyObject_SetAttrString(pass.get(), "record", record.get()) != 0) {
        std::fprintf(stderr, "shrinkpython: warning: the import pass is off: it does not start\n");
        if (PyErr_Occurred()) PyErr_Print();
        return nullptr;
    }
    import_summary().mode = g_mode;
    return pass.release();
}

}  // namespace shrinkpy::runtime
