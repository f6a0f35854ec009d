// Installs an allocator for CPython's RAW, MEM and OBJ domains, each wrapped so that allocations
// are counted (stats.hpp). The contract (gh-96997, Doc/c-api/memory.rst): after Py_PreInitialize
// and before Py_InitializeFromConfig; a pointer allocated before the install is freed by the
// allocator that was installed then.
#pragma once

#include "shrinkpy/alloc/stats.hpp"

namespace shrinkpy::alloc {

enum class AllocatorKind { pymalloc, malloc, mimalloc };
const char* allocator_kind_name(AllocatorKind kind);

enum class InstallError { none, already_installed, backend_unavailable };

struct InstallResult {
    InstallError error = InstallError::none;
    const char* message = nullptr;  // static text, set when error != none
};

// `debug_hooks`: put CPython's debug hooks (PYTHONMALLOC=debug, -X dev) on top of ours.
InstallResult install_allocator(AllocatorKind kind, bool debug_hooks);

// The allocator installed by install_allocator, or nullptr.
const char* installed_allocator_name();

// A consistent-enough copy of the counters (RAW may move concurrently).
StatsSnapshot stats_snapshot();

}  // namespace shrinkpy::alloc
