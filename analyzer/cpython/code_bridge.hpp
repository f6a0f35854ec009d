// ====================================================================================================
// The bridge between CPython code objects and the analyzer, in the plain C API: shared by the
// pybind11 module shrinkpy._analyzer (python/src) and shrinkpython's built-in module _shrinkpy
// (runtime/early_free_module.cpp), which must work without pybind11 or the source tree.
//
// The only place that reads CPython's PyCodeObject layout (co_localspluskinds has no Python
// attribute in 3.11) and calls code.replace().
// ====================================================================================================
#pragma once

#include <Python.h>

#include <memory>
#include <string>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"
#include "shrinkpy/analyzer/rewrite.hpp"

namespace shrinkpy::analyzer::cpython {

// A small owning reference, so that every early return releases what it holds.
class Ref {
public:
    explicit Ref(PyObject* p = nullptr) : p_(p) {}
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    ~Ref() { Py_XDECREF(p_); }
    PyObject* get() const { return p_; }
    PyObject* release() {
        PyObject* p = p_;
        p_ = nullptr;
        return p;
    }
    explicit operator bool() const { return p_ != nullptr; }

private:
    PyObject* p_;
};

// UTF-8 of a str, without caching a UTF-8 copy inside it (see code_bridge.cpp).
std::string text_of(PyObject* obj);

// The code object (and its nested code objects) as plain data. On failure returns null and fills
// `error`; a Python exception may be set as well (out of memory), which the caller must clear or
// raise.
std::shared_ptr<const CodeObject> code_from_python(PyObject* code, Error& error);

// A new code object tree with `rewritten` applied (code.replace() on every changed code object,
// co_consts rebuilt where a nested code object changed). New reference; null with a Python
// exception set on failure. `counter` is the constant counted releases call (rewrite.hpp); it
// must be given when the policy counted releases.
PyObject* apply_rewrite(PyObject* code, const RewrittenCode& rewritten, PyObject* counter = nullptr);

// A RewriteResult for `code` as the tuple (code, releases, skips):
//   releases  ((qualname, line, name, kind, reason, maybe_unbound), ...)
//   skips     ((qualname, line, rule, reason), ...)
// New reference; null with a Python exception set on failure.
PyObject* rewrite_result_to_python(PyObject* code, const RewriteResult& result, PyObject* counter = nullptr);

// code_from_python() + rewrite_module() + rewrite_result_to_python(). Null with a ValueError set
// when `code` is not a 3.11 module code object; a code object the rewriter cannot handle is a
// skip, never an exception.
PyObject* rewrite_to_python(PyObject* code, const ReleasePolicy& policy, PyObject* counter = nullptr);

}  // namespace shrinkpy::analyzer::cpython
