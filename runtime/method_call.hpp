// obj.name(*args) from C++ at start-up, through calls Debian's python3.11 runs in its own start-up.
// PyObject_CallMethod and PyObject_CallFunction build their arguments from a format string
// (Objects/call.c, Python/modsupport.c); _PyObject_CallMethod_SizeT, what PyObject_CallMethod is
// under PY_SSIZE_T_CLEAN, lies in a 64 KiB window of python3.11's text that a bare
// `python3.11 -c pass` never touches, so calling it cost every shrinkpython start that window of
// RSS (fault-around; found by tracing both under qemu -d in_asm). PyObject_VectorcallMethod and
// PyObject_CallFunctionObjArgs are on the interpreter's own path.
#pragma once

#include <Python.h>

namespace shrinkpy::runtime {

// A new reference, or nullptr with an exception set. `args` are borrowed.
template <class... Args>
PyObject* call_method(PyObject* obj, const char* name, Args... args) {
    PyObject* method = PyUnicode_InternFromString(name);
    if (method == nullptr) return nullptr;
    PyObject* stack[] = {obj, args...};
    PyObject* result = PyObject_VectorcallMethod(method, stack, 1 + sizeof...(args), nullptr);
    Py_DECREF(method);
    return result;
}

}  // namespace shrinkpy::runtime
