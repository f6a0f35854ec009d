// Installs an allocator for CPython's RAW, MEM and OBJ domains, optionally wrapped so that
// allocations are counted (stats.hpp). The contract (gh-96997, Doc/c-api/memory.rst): after
// Py_PreInitialize and before Py_InitializeFromConfig; a pointer allocated before the install is
// freed by the allocator that was installed then.
//
// Counting costs a few percent of an allocation-heavy program's time (two indirect calls and a
// block-size lookup per call), so the launcher asks for it only when a report will read it; without
// it the anchors run exactly as CPython would run them (pymalloc and malloc are CPython's own sets,
// as with PYTHONMALLOC).
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
// `count`: wrap every domain with the counting wrappers.
InstallResult install_allocator(AllocatorKind kind, bool debug_hooks, bool count);

// Whether the installed allocator is counted, i.e. stats_snapshot() means something.
bool allocator_is_counted();

// The allocator set CPython installed itself in pre-initialisation (after PYTHONMALLOC and -X dev):
// "pymalloc", "malloc", "pymalloc_debug" or "malloc_debug"; nullptr for a custom one.
const char* cpython_allocator_name();

// The allocator installed by install_allocator, or nullptr.
const char* installed_allocator_name();

// A consistent-enough copy of the counters (RAW may move concurrently).
StatsSnapshot stats_snapshot();

}  // namespace shrinkpy::alloc
