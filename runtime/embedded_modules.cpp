#include "embedded_modules.hpp"

#include <marshal.h>

#include <cstring>

namespace shrinkpy::runtime {

PyObject* import_embedded(const char* name) {
    const EmbeddedModule* found = nullptr;
    for (const EmbeddedModule* m = kEmbeddedModules; m->name != nullptr; ++m) {
        if (std::strcmp(m->name, name) == 0) found = m;
    }
    if (found == nullptr) {
        PyErr_Format(PyExc_ImportError, "shrinkpython has no embedded module %s", name);
        return nullptr;
    }
    PyObject* code = PyMarshal_ReadObjectFromString(reinterpret_cast<const char*>(found->data),
                                                    static_cast<Py_ssize_t>(found->size));
    if (code == nullptr) return nullptr;
    PyObject* module = PyModule_New(name);
    PyObject* modules = PyImport_GetModuleDict();                                // borrowed
    PyObject* globals = module != nullptr ? PyModule_GetDict(module) : nullptr;  // borrowed
    PyObject* result = nullptr;
    if (globals != nullptr && PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0 &&
        PyDict_SetItemString(modules, name, module) == 0) {
        result = PyEval_EvalCode(code, globals, globals);
        if (result == nullptr) {  // no half-initialised module stays in sys.modules
            PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
            PyErr_Fetch(&type, &value, &traceback);
            if (PyDict_DelItemString(modules, name) < 0) PyErr_Clear();
            PyErr_Restore(type, value, traceback);
        }
    }
    Py_DECREF(code);
    if (result == nullptr) {
        Py_XDECREF(module);
        return nullptr;
    }
    Py_DECREF(result);
    return module;
}

}  // namespace shrinkpy::runtime
