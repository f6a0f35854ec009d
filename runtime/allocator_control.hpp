// shrinkpy.install_allocator() and shrinkpy.allocator_stats() without Python in them: what both
// modules that offer them call. shrinkpy._alloc (python/src/alloc_module.cpp, pybind11) brings a
// copy of the allocator into any python3.11; _shrinkpy_alloc (allocator_module.cpp) is built into
// shrinkpython, where a fully static trimmed interpreter cannot load extension modules at all.
// Both go through alloc::allocator_api(), so inside shrinkpython the launcher's allocator answers.
#pragma once

#include <optional>
#include <string>

namespace shrinkpy::runtime {

struct InstallOutcome {
    enum class Error { none, bad_value, failed };  // ValueError, RuntimeError
    Error error = Error::none;
    std::string message;  // when error != none
    std::string name;     // the allocator installed (or already installed)
};

// Installs the allocator the options table names (SHRINKPY_ALLOCATOR unless `name` is given),
// with the SHRINKPY_ARENA_* and SHRINKPY_MAX_HEAP settings. After start-up only the allocators that
// wrap the running one can be installed: the arena and mimalloc send every block allocated before
// back to the allocator that served it; pymalloc and malloc would not.
InstallOutcome install_allocator_named(const std::optional<std::string>& name);

// The installed allocator's name, or nullptr.
const char* installed_allocator();

// The installed allocator's statistics as JSON (report.schema.json's allocator_stats).
std::string allocator_stats_json();

}  // namespace shrinkpy::runtime
