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
[[gnu::noinline]] void gil_free_elsewhere(Heap* heap, void* p) {
    if (!heap->free_not_own(p)) previous[D].free(previous[D].ctx, p);
}

// Heap::free with the common case apart, so that it needs no stack frame: only tail calls leave it
// (drained, or the rest).
template <int D>
void gil_free(void* ctx, void* p) {
    auto* heap = static_cast<Heap*>(ctx);
    if (PoolMeta* m = heap->own_pool(p)) [[likely]]
        return heap->free_block(m, p);
    gil_free_elsewhere<D>(heap, p);
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
void after_fork_in_parent() { the_arena->unlock_all(); }
void after_fork_in_child() {
    the_arena->region().after_fork_in_child();
    the_arena->unlock_all();
}

// gc.callbacks entry: after a full collection the program asked for (gc.collect()), the arena's
// empty pools beyond the retained bytes go back at once (Arena::after_requested_collection). Full
// collections CPython starts by itself (when generation 2 has grown by a quarter) come in the
// middle of building structures and are left alone. Telling them apart: CPython collects by itself
// only from an allocation that took generation 0's count past its threshold, with collection
// enabled (Modules/gcmodule.c, _PyObject_GC_Link), so a full collection that starts with the count
// at or below the threshold, or with automatic collection off, was asked for. Called with the GIL
// held, at the start and stop of every collection; only full ones cost more than a compare.
// Py_FinalizeEx's own collection (3.11: PyGC_Collect, after _PyRuntimeState_SetFinalizing) is not
// the program's: the process is about to give everything back, and purging then only costs time
// (at the exit of spike_dict_every50: 269 madvise calls, 1.5 ms).
bool requested_collection_running = false;

bool requested_by_the_program() {
    if (_Py_IsFinalizing()) return false;
    PyObject* gc = PyImport_ImportModule("gc");
    PyObject* enabled = gc ? PyObject_CallMethod(gc, "isenabled", nullptr) : nullptr;
    PyObject* count = gc ? PyObject_CallMethod(gc, "get_count", nullptr) : nullptr;
    PyObject* threshold = gc ? PyObject_CallMethod(gc, "get_threshold", nullptr) : nullptr;
    bool requested = false;
    if (enabled != nullptr && count != nullptr && threshold != nullptr && PyTuple_Check(count) &&
        PyTuple_Check(threshold) && PyTuple_GET_SIZE(count) > 0 && PyTuple_GET_SIZE(threshold) > 0) {
        long n = PyLong_AsLong(PyTuple_GET_ITEM(count, 0));
        long limit = PyLong_AsLong(PyTuple_GET_ITEM(threshold, 0));
        requested = !PyObject_IsTrue(enabled) || limit == 0 || n <= limit;
    }
    Py_XDECREF(threshold);
    Py_XDECREF(count);
    Py_XDECREF(enabled);
    Py_XDECREF(gc);
    PyErr_Clear();
    return requested;
}

PyObject* on_collection(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyDict_Check(args[1])) Py_RETURN_NONE;
    PyObject* generation = PyDict_GetItemString(args[1], "generation");  // borrowed
    if (generation == nullptr || !PyLong_Check(generation) || PyLong_AsLong(generation) != 2) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    if (PyUnicode_CompareWithASCIIString(args[0], "start") == 0) {
        requested_collection_running = requested_by_the_program();
    } else if (requested_collection_running) {
        requested_collection_running = false;
        the_arena->after_requested_collection();
    }
    PyErr_Clear();
    Py_RETURN_NONE;
}

PyMethodDef on_collection_def = {"shrinkpy_arena_after_collection",
                                 reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(on_collection)),
                                 METH_FASTCALL, "shrinkpy's arena: gives empty pools back after gc.collect()."};

// What the region cannot serve goes to the allocator each domain had before (Overflow, heap.hpp),
// without a heap cap (the arena's own settings: a second call's may differ). MEM and OBJ share a
// heap: it overflows only when the two had one and the same allocator (pymalloc, for both, unless
// PYTHONMALLOC or debug hooks made them differ), since a block may be freed through either domain.
void set_overflows() {
    Overflow none;
    bool capped = the_arena->config().max_heap_bytes != 0;
    auto overflow = [&](const PyMemAllocatorEx& a) { return capped ? none : Overflow{a.ctx, a.malloc, a.calloc}; };
    const PyMemAllocatorEx& mem = previous[int(Domain::mem)];
    const PyMemAllocatorEx& obj = previous[int(Domain::obj)];
    bool same = mem.ctx == obj.ctx && mem.malloc == obj.malloc && mem.calloc == obj.calloc &&
                mem.realloc == obj.realloc && mem.free == obj.free;
    the_arena->gil_heap().set_overflow(same ? overflow(obj) : none);
    the_arena->lock_raw();
    the_arena->raw_heap().set_overflow(overflow(previous[int(Domain::raw)]));
    the_arena->unlock_raw();
}

}  // namespace

bool arena_backends(const ArenaConfig& config, Backend out[kDomainCount], const char** error) {
    if (the_arena == nullptr) {
        int code = 0;
        the_arena = Arena::create(system_os_memory(), config, &code);
        if (the_arena == nullptr) {
            *error = "cannot reserve address space for the arena (SHRINKPY_ARENA_RESERVE, ulimit -v)";
            return false;
        }
        pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
        the_arena->region().enable_purge_thread();
    }
    constexpr PyMemAllocatorDomain kCpythonDomain[kDomainCount] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM,
                                                                   PYMEM_DOMAIN_OBJ};
    for (int d = 0; d < kDomainCount; ++d) PyMem_GetAllocator(kCpythonDomain[d], &previous[d]);
    set_overflows();
    Heap* gil = &the_arena->gil_heap();
    out[int(Domain::raw)] = {"arena",     the_arena, raw_malloc,       raw_calloc,
                             raw_realloc, raw_free,  arena_block_size, arena_owns};
    out[int(Domain::mem)] = gil_backend<int(Domain::mem)>(gil);
    out[int(Domain::obj)] = gil_backend<int(Domain::obj)>(gil);
    return true;
}

bool watch_full_collections() {
    if (the_arena == nullptr || !Py_IsInitialized()) return false;
    PyObject* gc = PyImport_ImportModule("gc");
    PyObject* callbacks = gc != nullptr ? PyObject_GetAttrString(gc, "callbacks") : nullptr;
    PyObject* callback = callbacks != nullptr ? PyCFunction_New(&on_collection_def, nullptr) : nullptr;
    bool ok = callback != nullptr && PyList_Check(callbacks) && PyList_Append(callbacks, callback) == 0;
    Py_XDECREF(callback);
    Py_XDECREF(callbacks);
    Py_XDECREF(gc);
    if (!ok) PyErr_Clear();
    return ok;
}

bool arena_counters(uint64_t* committed_bytes, uint64_t* pages_released) {
    if (the_arena == nullptr) return false;
    *committed_bytes = the_arena->ledger().current();
    *pages_released = the_arena->region().pages_returned_now();
    return true;
}

bool arena_census(ArenaCensus* out) {
    if (the_arena == nullptr) return false;
    *out = the_arena->census();
    return true;
}

bool arena_stats(ArenaStats* out) {
    if (the_arena == nullptr) return false;
    *out = the_arena->stats();
    return true;
}

bool arena_verify(const char** problem) {
    if (the_arena == nullptr) return false;
    *problem = the_arena->verify();
    return true;
}

}  // namespace shrinkpy::alloc
