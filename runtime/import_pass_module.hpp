// _shrinkpy_imports: the built-in module through which the embedded import pass
// (runtime/import_pass.py, runtime/deferred_imports.py) reaches the C++ analyzer linked into
// shrinkpython and reports what it did. Registered with PyImport_AppendInittab before the
// interpreter starts (like _shrinkpy for early freeing, early_free_module.hpp).
//
//   rewrite_imports(code, mode, is_main, eager_lines, eager_modules, probe, is_submodule)
//       -> (code, decisions)                   (analyzer/cpython/import_bridge.hpp)
//   import_effects(code) -> [str]              what importing a module does beyond itself
//   record(module, decisions)                  counts into the exit report (report.hpp: ImportSummary)
//   deferred(where, module, name) -> token     a deferred import was executed (a proxy made)
//   loaded(token)                              ... and the program used it: it was imported
//
// start_import_pass() (after the interpreter started) puts deferred_imports' `defer` into builtins
// and returns the ImportPass object (import_pass.py) the loader hook runs on every module it loads.
#pragma once

#include <Python.h>

#include <string>
#include <vector>

#include "options.hpp"

namespace shrinkpy::runtime {

// Before Py_InitializeFromConfig: false when SHRINKPY_IMPORTS is off (nothing is registered).
bool prepare_import_pass(const Options& options);

// After Py_InitializeFromConfig. New reference to the ImportPass, or null (with a warning on
// stderr, and the program running with its imports as written) when it cannot be set up.
PyObject* start_import_pass();

}  // namespace shrinkpy::runtime
