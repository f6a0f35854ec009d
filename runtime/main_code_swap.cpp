#include "main_code_swap.hpp"

// _PyInterpreterFrame's layout (f_code, f_globals, f_locals): CPython 3.11's internal header, the
// one version shrinkpython is built for (the analyzer gates on its bytecode magic too).
#define Py_BUILD_CORE
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE

namespace shrinkpy::runtime {
namespace {

PyObject* g_rewrite_main = nullptr;  // owned until the swap
PyObject* g_source = nullptr;        // owned until the swap
// Borrowed, only compared: owning it would keep __main__'s namespace alive past finalization, and
// its objects' __del__ would never run (finalize_modules in Python/pylifecycle.c clears a module's
// dict only through the module).
PyObject* g_main_dict = nullptr;
bool g_module_level = true;

void uninstall() {
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), _PyEval_EvalFrameDefault);
    g_main_dict = nullptr;
}

PyObject* swap_main_code(PyThreadState* tstate, _PyInterpreterFrame* frame, int throwflag) {
    if (throwflag || frame->f_globals != g_main_dict || frame->f_locals != g_main_dict)
        return _PyEval_EvalFrameDefault(tstate, frame, throwflag);
    uninstall();
    PyObject* original = reinterpret_cast<PyObject*>(frame->f_code);
    // Not PyObject_CallFunction (a format string): method_call.hpp says why.
    PyObject* code = PyObject_CallFunctionObjArgs(g_rewrite_main, original, frame->f_code->co_filename, g_source,
                                                  g_module_level ? Py_True : Py_False, nullptr);
    Py_CLEAR(g_rewrite_main);
    Py_CLEAR(g_source);
    if (code == nullptr || !PyCode_Check(code)) {
        // The hook reports its own failures and never raises; if it did, run the program as it is.
        PyErr_Clear();
        Py_XDECREF(code);
        return _PyEval_EvalFrameDefault(tstate, frame, throwflag);
    }
    if (code == original) {
        Py_DECREF(code);
        return _PyEval_EvalFrameDefault(tstate, frame, throwflag);
    }
    PyObject* result = PyEval_EvalCode(code, frame->f_globals, frame->f_locals);
    Py_DECREF(code);
    return result;
}

}  // namespace

void install_main_code_swap(PyObject* rewrite_main, PyObject* source, bool module_level) {
    PyObject* main = PyImport_AddModule("__main__");  // borrowed
    if (main == nullptr) {
        PyErr_Clear();
        return;
    }
    Py_INCREF(rewrite_main);
    Py_INCREF(source);
    g_rewrite_main = rewrite_main;
    g_source = source;
    g_main_dict = PyModule_GetDict(main);
    g_module_level = module_level;
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), swap_main_code);
}

}  // namespace shrinkpy::runtime
