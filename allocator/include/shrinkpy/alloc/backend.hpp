// A backend is an allocator the PyMem glue can serve a domain from (glibc malloc, mimalloc,
// pymalloc, the arena), plus the one thing CPython's PyMemAllocatorEx lacks: the size of a
// block it serves, which the statistics need when the block is freed.
#pragma once

#include <cstddef>

#include "shrinkpy/alloc/arena_config.hpp"
#include "shrinkpy/alloc/stats.hpp"

namespace shrinkpy::alloc {

struct Backend {
    const char* name;
    void* ctx;
    void* (*malloc)(void* ctx, size_t size);
    void* (*calloc)(void* ctx, size_t nelem, size_t elsize);
    void* (*realloc)(void* ctx, void* ptr, size_t new_size);
    void (*free)(void* ctx, void* ptr);
    // Bytes this backend set aside for `ptr`, or 0 when it does not serve `ptr` itself: a block it
    // passed on to another domain, which counts it there. O(1), never allocates.
    size_t (*block_size)(void* ctx, const void* ptr);
    // Whether `ptr` belongs to this backend at all; nullptr means "assume yes". A block that is not
    // (allocated before the glue was installed) is freed by the allocator that was installed before.
    bool (*owns)(void* ctx, const void* ptr);
};

// glibc malloc. Zero-byte requests become one byte, as in CPython's _PyMem_RawMalloc.
Backend malloc_backend();

// Debian's mimalloc (libmimalloc.so.2), loaded with dlopen on first use: Debian's build exports
// malloc/free, so linking it would replace glibc malloc for every choice. Returns false and
// writes a message when the library cannot be loaded.
bool mimalloc_backend(Backend* out, const char** error);

// CPython's own pymalloc for MEM and OBJ. Must be called after Py_PreInitialize and before
// Py_Initialize: it installs an arena allocator that aligns pymalloc's arenas so that a block's
// size class can be read from its pool header.
Backend pymalloc_backend();

// The arena allocator (allocator/src/arena.hpp), one backend per domain: MEM and OBJ share a heap
// that takes no lock, RAW has its own behind a mutex. The arena is created by the first call, with
// `config`; later calls reuse it. Call it before installing anything: it records each domain's
// current allocator as the one that frees the blocks the arena does not own. Returns false and a
// message when the address space cannot be reserved.
bool arena_backends(const ArenaConfig& config, Backend out[kDomainCount], const char** error);

// Puts the arena's entry into gc.callbacks, so that after gc.collect() the empty pools beyond the
// retained bytes go back to the OS at once rather than after the purge delay. The interpreter must be initialised
// (after Py_InitializeFromConfig); false when there is no arena in this copy of the library or gc.callbacks cannot be
// reached.
bool watch_full_collections();

// What the arena holds from the OS now and the OS pages it has given back so far, read without
// any lock (a memory sampler thread may call it at any time; the values may lag a purge in
// progress). False when there is no arena in this copy of the library.
bool arena_counters(uint64_t* committed_bytes, uint64_t* pages_released);

// Which of the arena's resident pages hold live blocks (Arena::census), when an arena exists in this
// copy of the library (false otherwise). The caller holds the GIL.
bool arena_census(ArenaCensus* out);

// The arena's statistics, when an arena exists in this copy of the library (false otherwise). The
// caller holds the GIL.
bool arena_stats(ArenaStats* out);

// Runs the arena's validators (Arena::verify: every pool and list against the invariants of
// arena_types.hpp), when an arena exists in this copy of the library (false otherwise); `*problem`
// is nullptr when everything holds, else what does not. The caller holds the GIL. O(pages): for tests.
bool arena_verify(const char** problem);

}  // namespace shrinkpy::alloc
