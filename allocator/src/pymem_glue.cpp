// The counting wrappers CPython calls for each domain, and their installation.
//
// Hot path: one call into the backend, one block-size lookup, a few relaxed atomic operations.
// RAW runs without the GIL on any thread, so its counters use fetch_add. MEM and OBJ always run with
// the GIL held, so each of their counters has a single writer at a time and is updated with a
// relaxed load and store (no locked instruction); they are still atomics so that RAW's peak
// computation may read them from another thread.
#include "shrinkpy/alloc/pymem_glue.hpp"

#include <atomic>

#include "cpython_compat.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

using Counter = std::atomic<int64_t>;  // signed: a block allocated before the install may be freed after it

struct DomainState {
    Backend backend{};
    PyMemAllocatorEx previous{};  // serves blocks allocated before the install (Backend::owns)
    bool shared = false;          // RAW: called without the GIL, from any thread
    Counter allocs{0}, reallocs{0}, frees{0}, failures{0}, bytes_current{0}, bytes_peak{0};

    void add(Counter& c, int64_t v) {
        if (shared) {
            c.fetch_add(v, std::memory_order_relaxed);
        } else {
            c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
        }
    }
    bool owns(const void* p) const { return backend.owns == nullptr || backend.owns(backend.ctx, p); }
    int64_t block_size(const void* p) const { return int64_t(backend.block_size(backend.ctx, p)); }
};

DomainState states[kDomainCount];
Counter total_peak{0};
const char* installed_name = nullptr;

void raise_to(Counter& peak, int64_t value) {
    int64_t seen = peak.load(std::memory_order_relaxed);
    while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
}

void account(DomainState* s, int64_t delta) {
    if (delta == 0) return;
    s->add(s->bytes_current, delta);
    if (delta < 0) return;
    raise_to(s->bytes_peak, s->bytes_current.load(std::memory_order_relaxed));
    int64_t total = 0;
    for (const DomainState& d : states) total += d.bytes_current.load(std::memory_order_relaxed);
    raise_to(total_peak, total);
}

void* counted_malloc(void* ctx, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    void* p = s->backend.malloc(s->backend.ctx, size);
    if (p == nullptr) {
        s->add(s->failures, 1);
        return nullptr;
    }
    s->add(s->allocs, 1);
    account(s, s->block_size(p));
    return p;
}

void* counted_calloc(void* ctx, size_t nelem, size_t elsize) {
    auto* s = static_cast<DomainState*>(ctx);
    void* p = s->backend.calloc(s->backend.ctx, nelem, elsize);
    if (p == nullptr) {
        s->add(s->failures, 1);
        return nullptr;
    }
    s->add(s->allocs, 1);
    account(s, s->block_size(p));
    return p;
}

void* counted_realloc(void* ctx, void* ptr, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr == nullptr) return counted_malloc(ctx, size);
    if (!s->owns(ptr)) {
        s->add(s->reallocs, 1);
        return s->previous.realloc(s->previous.ctx, ptr, size);
    }
    int64_t old_size = s->block_size(ptr);
    void* p = s->backend.realloc(s->backend.ctx, ptr, size);
    if (p == nullptr) {  // the old block is untouched
        s->add(s->failures, 1);
        return nullptr;
    }
    s->add(s->reallocs, 1);
    account(s, s->block_size(p) - old_size);
    return p;
}

void counted_free(void* ctx, void* ptr) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr == nullptr) return;
    if (!s->owns(ptr)) {
        s->previous.free(s->previous.ctx, ptr);
        return;
    }
    int64_t size = s->block_size(ptr);
    s->backend.free(s->backend.ctx, ptr);
    s->add(s->frees, 1);
    account(s, -size);
}

constexpr PyMemAllocatorDomain kCpythonDomain[kDomainCount] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM,
                                                                PYMEM_DOMAIN_OBJ};

uint64_t clamp(int64_t v) { return v < 0 ? 0 : uint64_t(v); }

}  // namespace

const char* allocator_kind_name(AllocatorKind kind) {
    switch (kind) {
        case AllocatorKind::pymalloc: return "pymalloc";
        case AllocatorKind::malloc: return "malloc";
        case AllocatorKind::mimalloc: return "mimalloc";
    }
    return "?";
}

InstallResult install_allocator(AllocatorKind kind, bool debug_hooks) {
    if (installed_name != nullptr) return {InstallError::already_installed, "an allocator is already installed"};
    Backend raw = malloc_backend();
    Backend mem_obj = raw;
    switch (kind) {
        case AllocatorKind::pymalloc: mem_obj = pymalloc_backend(); break;
        case AllocatorKind::malloc: break;
        case AllocatorKind::mimalloc: {
            const char* error = nullptr;
            if (!mimalloc_backend(&mem_obj, &error)) return {InstallError::backend_unavailable, error};
            raw = mem_obj;
            break;
        }
    }
    for (int d = 0; d < kDomainCount; ++d) {
        DomainState& s = states[d];
        s.backend = d == int(Domain::raw) ? raw : mem_obj;
        s.shared = d == int(Domain::raw);
        PyMem_GetAllocator(kCpythonDomain[d], &s.previous);
        PyMemAllocatorEx wrapper = {&s, counted_malloc, counted_calloc, counted_realloc, counted_free};
        PyMem_SetAllocator(kCpythonDomain[d], &wrapper);
    }
    if (debug_hooks) PyMem_SetupDebugHooks();
    installed_name = allocator_kind_name(kind);
    return {};
}

const char* installed_allocator_name() { return installed_name; }

StatsSnapshot stats_snapshot() {
    StatsSnapshot snap;
    for (int d = 0; d < kDomainCount; ++d) {
        const DomainState& s = states[d];
        DomainStats& out = snap.domains[d];
        out.allocs = clamp(s.allocs.load(std::memory_order_relaxed));
        out.reallocs = clamp(s.reallocs.load(std::memory_order_relaxed));
        out.frees = clamp(s.frees.load(std::memory_order_relaxed));
        out.failures = clamp(s.failures.load(std::memory_order_relaxed));
        out.bytes_current = clamp(s.bytes_current.load(std::memory_order_relaxed));
        out.bytes_peak = clamp(s.bytes_peak.load(std::memory_order_relaxed));
        snap.bytes_current += out.bytes_current;
    }
    snap.bytes_peak = clamp(total_peak.load(std::memory_order_relaxed));
    return snap;
}

}  // namespace shrinkpy::alloc
