// The allocator settings of the options table, as the allocator library takes them. Read by the
// launcher (run.cpp) and by shrinkpy.install_allocator() (python/src/alloc_module.cpp), so both
// install exactly what SHRINKPY_ALLOCATOR and SHRINKPY_ARENA_* / SHRINKPY_MAX_HEAP say.
#pragma once

#include <string>

#include "options.hpp"
#include "shrinkpy/alloc/arena_config.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace shrinkpy::runtime {

alloc::AllocatorKind allocator_kind(const std::string& name);

// The arena's settings as given (alloc::normalize() fits them to the page size at install).
alloc::ArenaConfig arena_config(const Options& options);

}  // namespace shrinkpy::runtime
