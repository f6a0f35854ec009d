// The arena allocator: one region of pools, the large blocks, and two heaps over them (one for
// CPython's MEM and OBJ domains, one for RAW). Vocabulary: arena_types.hpp.
//
// Ownership: a pointer inside the region is the arena's (Heap::in_region); outside it, it is the
// arena's when the large-block registry knows it (LargeBlocks::size_of); anything else belongs to
// the allocator installed before the arena and goes back there (pymem_glue.cpp).
//
// MEM/OBJ and RAW keep apart: they share no pool, so the heap called under the GIL never takes a
// lock, and RAW, called from any thread, serialises on its own mutex. Only what the two share
// takes a lock: the region (new and empty pools, under the region's mutex) and the large blocks
// (atomics). A block freed through the wrong heap (PyMem_Free on a PyMem_RawMalloc block, which
// stock CPython tolerates because pymalloc hands foreign pointers to PyMem_RawFree) is freed by
// the heap that owns it, under that heap's lock.
#pragma once

#include <pthread.h>

#include "heap.hpp"
#include "large_blocks.hpp"
#include "region.hpp"
#include "shrinkpy/alloc/arena_config.hpp"
#include "size_classes.hpp"

namespace shrinkpy::alloc {

class Arena {
public:
    // An arena in memory of its own (no malloc), with `config` normalized for the OS's page size.
    // nullptr, with an errno value in *error, when the address space cannot be reserved.
    static Arena* create(OsMemory& os, const ArenaConfig& config, int* error);
    // Unmaps everything (tests and benchmarks): every block of the arena is gone.
    static void destroy(Arena* arena);

    Heap& gil_heap() { return gil_; }
    Heap& raw_heap() { return raw_; }
    Heap& heap(HeapId id) { return id == HeapId::raw ? raw_ : gil_; }
    void lock_raw() { pthread_mutex_lock(&raw_mutex_); }
    void unlock_raw() { pthread_mutex_unlock(&raw_mutex_); }
    // Around fork(): every lock taken, so that the child starts with consistent structures.
    void lock_all() {
        lock_raw();
        region_.lock();
    }
    void unlock_all() {
        region_.unlock();
        unlock_raw();
    }

    // Entry points that take the RAW heap's lock when they serve RAW (tests, benchmarks, the RAW
    // domain). free returns false for a pointer that is not the arena's.
    void* malloc(HeapId id, size_t n);
    void* calloc(HeapId id, size_t nelem, size_t elsize);
    void* realloc(HeapId id, void* p, size_t n);  // p null or the arena's
    bool free(HeapId id, void* p);

    bool owns(const void* p) const { return gil_.in_region(p) || large_.size_of(p) != 0; }
    // Bytes set aside for `p` (its class size, or its mapping), 0 when not the arena's.
    size_t block_size(const void* p) const;

    // Walks the pools; the caller holds the GIL (or nothing uses MEM/OBJ meanwhile).
    ArenaStats stats();
    // Which resident pages hold live blocks (census.cpp); the caller holds the GIL. O(pages + free
    // blocks): for measurements, not for every call.
    ArenaCensus census();
    // Returns every empty pool's pages to the OS now; the caller holds the GIL.
    void trim();
    // The program's gc.collect() just ran (gc.callbacks): empty pools beyond the retained bytes go
    // back now rather than after the purge delay; the caller holds the GIL.
    void after_requested_collection() { region_.purge_beyond_allowance(); }
    // Expensive validators of the region and both heaps; nullptr when everything holds.
    const char* verify();

    const ArenaConfig& config() const { return config_; }
    const SizeClasses& classes() const { return classes_; }
    Region& region() { return region_; }
    CommitLedger& ledger() { return ledger_; }

    // Slow paths of the heaps. `zero`: the block must read as zeros (calloc); a fresh mapping does,
    // one taken back from the region's LargeCache is cleared.
    void* malloc_large(size_t n, bool zero = false);
    void* realloc_large(void* p, size_t bytes, size_t n);
    void free_large(void* p, size_t bytes);
    size_t large_size(const void* p) const { return large_.size_of(p); }
    // A pool block reached through heap `caller` that belongs to another heap (or is invalid).
    bool free_foreign_pool(PoolMeta* m, void* p, HeapId caller);
    void* realloc_foreign_pool(PoolMeta* m, void* p, size_t n, HeapId caller);

private:
    void* reuse_large(const CachedMapping& cached, size_t bytes);
    void unmap_unregistered(const CachedMapping& m);
    void free_now(void* p, size_t bytes);

    OsMemory* os_ = nullptr;
    ArenaConfig config_;
    SizeClasses classes_;
    CommitLedger ledger_;
    Region region_;
    LargeBlocks large_;
    pthread_mutex_t raw_mutex_ = PTHREAD_MUTEX_INITIALIZER;
    Heap gil_;
    Heap raw_;
    size_t mapping_bytes_ = 0;  // of this object
};

}  // namespace shrinkpy::alloc
