// ====================================================================================================
// The import pass (import_plan.hpp, import_rewrite.hpp) in the plain C API: shared by the pybind11
// module shrinkpy._analyzer (python/src/analyzer_imports.cpp) and shrinkpython's built-in module
// _shrinkpy_imports (runtime/import_pass_module.cpp), which must work without pybind11.
// ====================================================================================================
#pragma once

#include <Python.h>

#include "shrinkpy/analyzer/import_plan.hpp"

namespace shrinkpy::analyzer::cpython {

// An ImportPolicy from Python values: mode "defer" | "drop" | "off"; eager_lines an iterable of
// ints; eager_modules an iterable of str; probe(module, level, imported) -> str | None and
// is_submodule(name) -> bool callables or None (a callable that raises counts as "keep it
// eager"). False with a Python exception set on bad arguments.
bool import_policy_from_python(const char* mode, bool is_main, PyObject* eager_lines, PyObject* eager_modules,
                               PyObject* probe, PyObject* is_submodule, ImportPolicy& out);

// One dict per decision: the import fact (code, offset, line, module, level, imported, bound,
// as_module, scope, use, readers, reason) plus action, verdict_reason and also_import.
PyObject* import_fact_to_python(const ImportFact& fact);
PyObject* decisions_to_python(const ImportPlan& plan);

// (code, decisions): the module code with the plan applied (the same object when nothing changes).
// Null with a Python exception set when `code` cannot be analysed (a ValueError naming why).
PyObject* rewrite_imports_to_python(PyObject* code, const ImportPolicy& policy);

// import_plan() alone: the decisions list.
PyObject* import_plan_to_python(PyObject* code, const ImportPolicy& policy);

}  // namespace shrinkpy::analyzer::cpython
