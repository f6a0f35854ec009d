// Early freeing in shrinkpython: the built-in module _shrinkpy is registered before the interpreter
// starts; after it started, the embedded loader hook (runtime/loader_hook.py) is installed on the
// import system, a C audit hook watches for tracers and profilers (rule "tracer"), and the main
// code of a script or -c is handed to the hook just before it runs (main_code_swap.hpp).
// With SHRINKPY_EARLY_FREE=off nothing of it is loaded or run. The import pass
// (import_pass_module.hpp, SHRINKPY_IMPORTS) runs through the same hook and main-code swap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace shrinkpy::runtime {

// Before Py_InitializeFromConfig. Returns false when early freeing and the import pass are both
// off. Unknown rule names in SHRINKPY_EARLY_FREE_IGNORE become warnings.
bool prepare_early_free(const Options& options, std::vector<std::string>& warnings);

// After Py_InitializeFromConfig, before Py_RunMain; does nothing unless prepare_early_free()
// returned true. A failure to install leaves the program running unmodified, with a warning.
void start_early_free();

// The count of early frees run so far, or nullptr when the rewrite does not count them (they are
// counted for the timeline only: SHRINKPY_TIMELINE set and early freeing on).
uint64_t (*early_free_counter())();

}  // namespace shrinkpy::runtime
