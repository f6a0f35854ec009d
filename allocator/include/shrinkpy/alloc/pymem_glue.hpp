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

#include "shrinkpy/alloc/arena_config.hpp"
#include "shrinkpy/alloc/stats.hpp"

namespace shrinkpy::alloc {

// pymalloc_indirect: pymalloc behind a forwarding function, i.e. reached through the domain's
// function pointer as CPython reaches every allocator but its own. Debian's python3.11 (built with
// LTO) inlines pymalloc into its call sites behind a check that the pointer is pymalloc's
// (`_PyObject.malloc == _PyObject_Malloc`: 190 sites), which no other allocator can pass. A measuring
// anchor: the arena's time against it is the arena's own, without that inlining.
enum class AllocatorKind { pymalloc, malloc, mimalloc, arena, pymalloc_indirect };
const char* allocator_kind_name(AllocatorKind kind);

enum class InstallError { none, already_installed, backend_unavailable };

struct InstallResult {
    InstallError error = InstallError::none;
    const char* message = nullptr;  // static text, set when error != none
};

// `debug_hooks`: put CPython's debug hooks (PYTHONMALLOC=debug, -X dev) on top of ours.
// `count`: wrap every domain with the counting wrappers. `arena`: the arena's settings, when `kind`
// is AllocatorKind::arena.
InstallResult install_allocator(AllocatorKind kind, bool debug_hooks, bool count, const ArenaConfig& arena = {});

// Whether the installed allocator is counted, i.e. stats_snapshot() means something.
bool allocator_is_counted();

// The allocator set CPython installed itself in pre-initialisation (after PYTHONMALLOC and -X dev):
// "pymalloc", "malloc", "pymalloc_debug" or "malloc_debug"; nullptr for a custom one.
const char* cpython_allocator_name();

// The allocator installed by install_allocator, or nullptr.
const char* installed_allocator_name();

// A consistent-enough copy of the counters (RAW may move concurrently).
StatsSnapshot stats_snapshot();

// The glue as one copy of this library offers it to another. shrinkpy's Python extension links a
// copy of its own (it must work inside a stock python3.11), but inside shrinkpython the allocator
// that counts is the launcher's: shrinkpython exports shrinkpy_allocator_api_v1 (linked with
// --export-dynamic) and the extension finds it with dlsym. Everything else in the library is
// hidden, so the two copies never mix.
struct AllocatorApi {
    uint32_t version;  // kAllocatorApiVersion
    uint32_t layout;   // sizeof(StatsSnapshot) + sizeof(ArenaStats) of the answering copy
    InstallResult (*install)(AllocatorKind kind, bool debug_hooks, bool count, const ArenaConfig& arena);
    const char* (*installed_name)();
    bool (*counted)();
    StatsSnapshot (*snapshot)();
    bool (*arena_stats)(ArenaStats* out);  // false when no arena is installed
};
inline constexpr uint32_t kAllocatorApiVersion = 1;

// The launcher's API when this process is shrinkpython (and its layout matches), else this copy's.
const AllocatorApi& allocator_api();

}  // namespace shrinkpy::alloc
