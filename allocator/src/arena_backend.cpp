// The arena allocator behind CPython's PyMemAllocatorEx, one set of functions per domain.
//
// MEM and OBJ call the heap directly (ctx is the heap, the fast paths of heap.hpp are inlined
// here); what the arena does not own goes to the allocator the domain had before, kept by domain
// so that the template instances need no extra indirection. RAW locks its heap around pool
// operations only: null, large and foreign pointers need no lock.
#include <Python.h>
#include <pthread.h>

#include "arena.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

Arena* the_arena = nullptr;
PyMemAllocatorEx previous[kDomainCount];

template <int D>
void* gil_malloc(void* ctx, size_t n) {
    return static_cast<Heap*>(ctx)->malloc(n);
}

template <int D>
void* gil_calloc(void* ctx, size_t nelem, size_t elsize) {
    return static_cast<Heap*>(ctx)->calloc(nelem, elsize);
}

template <int D>
void* gil_realloc(void* ctx, void* p, size_t n) {
    if (p != nullptr && !the_arena->owns(p)) [[unlikely]]
        return previous[D].realloc(previous[D].ctx, p, n);
    return static_cast<Heap*>(ctx)->realloc(p, n);
}

template <int D>
void gil_free(void* ctx, void* p) {
    if (!static_cast<Heap*>(ctx)->free(p)) [[unlikely]]
        previous[D].free(previous[D].ctx, p);
}

void* raw_malloc(void* ctx, size_t n) { return static_cast<Arena*>(ctx)->malloc(HeapId::raw, n); }

void* raw_calloc(void* ctx, size_t nelem, size_t elsize) {
    return static_cast<Arena*>(ctx)->calloc(HeapId::raw, nelem, elsize);
}

void* raw_realloc(void* ctx, void* p, size_t n) {
    auto* a = static_cast<Arena*>(ctx);
    constexpr int D = int(Domain::raw);
    if (p != nullptr && !a->owns(p)) return previous[D].realloc(previous[D].ctx, p, n);
    return a->realloc(HeapId::raw, p, n);
}

void raw_free(void* ctx, void* p) {
    constexpr int D = int(Domain::raw);
    if (!static_cast<Arena*>(ctx)->free(HeapId::raw, p)) previous[D].free(previous[D].ctx, p);
}

size_t arena_block_size(void*, const void* p) { return the_arena->block_size(p); }
bool arena_owns(void*, const void* p) { return the_arena->owns(p); }

// MEM and OBJ share the heap; each has its own functions for the blocks from before the install.
template <int D>
Backend gil_backend(Heap* heap) {
    return {"arena", heap, gil_malloc<D>, gil_calloc<D>, gil_realloc<D>, gil_free<D>, arena_block_size, arena_owns};
}

void before_fork() { the_arena->lock_all(); }
void after_fork() { the_arena->unlock_all(); }

}  // namespace

bool arena_backends(const ArenaConfig& config, Backend out[kDomainCount], const char** error) {
    if (the_arena == nullptr) {
        int code = 0;
        the_arena = Arena::create(system_os_memory(), config, &code);
        if (the_arena == nullptr) {
            *error = "cannot reserve address space for the arena (SHRINKPY_ARENA_RESERVE)";
            return false;
        }
        pthread_atfork(before_fork, after_fork, after_fork);
    }
    constexpr PyMemAllocatorDomain kCpythonDomain[kDomainCount] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM,
                                                                   PYMEM_DOMAIN_OBJ};
    for (int d = 0; d < kDomainCount; ++d) PyMem_GetAllocator(kCpythonDomain[d], &previous[d]);
    Heap* gil = &the_arena->gil_heap();
    out[int(Domain::raw)] = {"arena",     the_arena, raw_malloc,       raw_calloc,
                             raw_realloc, raw_free,  arena_block_size, arena_owns};
    out[int(Domain::mem)] = gil_backend<int(Domain::mem)>(gil);
    out[int(Domain::obj)] = gil_backend<int(Domain::obj)>(gil);
    return true;
}

bool arena_stats(ArenaStats* out) {
    if (the_arena == nullptr) return false;
    *out = the_arena->stats();
    return true;
}

}  // namespace shrinkpy::alloc
