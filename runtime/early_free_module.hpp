// _shrinkpy: the built-in module through which the embedded loader hook (runtime/loader_hook.py)
// reaches the C++ rewriter linked into shrinkpython, and reports what it did. Registered with
// PyImport_AppendInittab before the interpreter starts, so it needs no extension module, no
// pybind11 and no source tree.
//
//   rewrite(code, module_level, keep_lines) -> (code, releases, skips)   (analyzer/cpython/code_bridge.hpp)
//   record(module, releases, skips)       counts into the exit report (report.hpp: EarlyFreeSummary)
//   settings() -> dict                    mode, scope, ignored rules, the rewriter's version, cache key
//   keep_alive(*objects)                  does nothing: a call that reads its arguments (shrinkpy.keep_alive)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shrinkpy::runtime {

struct EarlyFreeSettings {
    std::string mode;                  // safe | aggressive
    std::string scope;                 // main | user | all
    std::vector<std::string> ignored;  // rules switched off (SHRINKPY_EARLY_FREE_IGNORE)
    bool count_releases = false;       // a timeline is drawn: releases call _shrinkpy._released
};

// How many counted releases have run (only with count_releases); any thread may read it.
std::uint64_t releases_run();

// Call before Py_InitializeFromConfig.
void register_early_free_module(EarlyFreeSettings settings);

}  // namespace shrinkpy::runtime
