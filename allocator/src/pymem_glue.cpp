// The counting wrappers CPython calls for each domain, and their installation.
//
// Hot path: one call into the backend, one block-size lookup, a few relaxed atomic operations.
// RAW runs without the GIL on any thread, so its counters use fetch_add. MEM and OBJ always run with
// the GIL held, so each of their counters has a single writer at a time and is updated with a
// relaxed load and store (no locked instruction); they are still atomics so that RAW's peak
// computation may read them from another thread. The wrappers are instantiated once for each case.
#include "shrinkpy/alloc/pymem_glue.hpp"

#include <dlfcn.h>

#include <atomic>

#include "cpython_compat.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

using Counter = std::atomic<int64_t>;  // signed: a block allocated before the install may be freed after it

struct DomainState {
    Backend backend{};
    PyMemAllocatorEx previous{};  // serves blocks allocated before the install (Backend::owns)
    Counter allocs{0}, reallocs{0}, frees{0}, failures{0}, bytes_current{0}, bytes_peak{0};

    bool owns(const void* p) const { return backend.owns == nullptr || backend.owns(backend.ctx, p); }
    int64_t block_size(const void* p) const { return int64_t(backend.block_size(backend.ctx, p)); }
};

DomainState states[kDomainCount];
Counter total_peak{0};
const char* installed_name = nullptr;
bool counted = false;

// Shared: the RAW domain, called from any thread without the GIL.
template <bool Shared>
inline void add(Counter& c, int64_t v) {
    if constexpr (Shared) {
        c.fetch_add(v, std::memory_order_relaxed);
    } else {
        c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    }
}

template <bool Shared>
inline void raise_to(Counter& peak, int64_t value) {
    int64_t seen = peak.load(std::memory_order_relaxed);
    if (value <= seen) return;
    if constexpr (Shared) {
        while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
        }
    } else {
        peak.store(value, std::memory_order_relaxed);
    }
}

template <bool Shared>
inline void account(DomainState* s, int64_t delta) {
    add<Shared>(s->bytes_current, delta);
    if (delta <= 0) return;
    raise_to<Shared>(s->bytes_peak, s->bytes_current.load(std::memory_order_relaxed));
    int64_t total = states[0].bytes_current.load(std::memory_order_relaxed) +
                    states[1].bytes_current.load(std::memory_order_relaxed) +
                    states[2].bytes_current.load(std::memory_order_relaxed);
    // The overall peak is written by GIL domains and RAW alike: always with compare-and-swap.
    raise_to<true>(total_peak, total);
}

template <bool Shared>
void* counted_malloc(void* ctx, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    void* p = s->backend.malloc(s->backend.ctx, size);
    if (p == nullptr) [[unlikely]] {
        add<Shared>(s->failures, 1);
        return nullptr;
    }
    add<Shared>(s->allocs, 1);
    account<Shared>(s, s->block_size(p));
    return p;
}

template <bool Shared>
void* counted_calloc(void* ctx, size_t nelem, size_t elsize) {
    auto* s = static_cast<DomainState*>(ctx);
    void* p = s->backend.calloc(s->backend.ctx, nelem, elsize);
    if (p == nullptr) [[unlikely]] {
        add<Shared>(s->failures, 1);
        return nullptr;
    }
    add<Shared>(s->allocs, 1);
    account<Shared>(s, s->block_size(p));
    return p;
}

template <bool Shared>
void* counted_realloc(void* ctx, void* ptr, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr == nullptr) return counted_malloc<Shared>(ctx, size);
    if (!s->owns(ptr)) [[unlikely]] {
        add<Shared>(s->reallocs, 1);
        return s->previous.realloc(s->previous.ctx, ptr, size);
    }
    int64_t old_size = s->block_size(ptr);
    void* p = s->backend.realloc(s->backend.ctx, ptr, size);
    if (p == nullptr) [[unlikely]] {  // the old block is untouched
        add<Shared>(s->failures, 1);
        return nullptr;
    }
    add<Shared>(s->reallocs, 1);
    account<Shared>(s, s->block_size(p) - old_size);
    return p;
}

template <bool Shared>
void counted_free(void* ctx, void* ptr) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr == nullptr) return;
    if (!s->owns(ptr)) [[unlikely]] {
        s->previous.free(s->previous.ctx, ptr);
        return;
    }
    int64_t size = s->block_size(ptr);
    s->backend.free(s->backend.ctx, ptr);
    add<Shared>(s->frees, 1);
    account<Shared>(s, -size);
}

template <bool Shared>
PyMemAllocatorEx counted_allocator(DomainState* s) {
    return {s, counted_malloc<Shared>, counted_calloc<Shared>, counted_realloc<Shared>, counted_free<Shared>};
}

constexpr PyMemAllocatorDomain kCpythonDomain[kDomainCount] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};

uint64_t clamp(int64_t v) { return v < 0 ? 0 : uint64_t(v); }

// Without counting, pymalloc and malloc are CPython's own allocator sets, exactly what
// PYTHONMALLOC=pymalloc|malloc installs; mimalloc is served directly, but its free and realloc
// still send blocks from before the install back to their allocator. So is pymalloc_indirect:
// pymalloc's own functions behind these, which CPython does not take for its own.
DomainState uncounted_direct[kDomainCount];

void* direct_malloc(void* ctx, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    return s->backend.malloc(s->backend.ctx, size);
}
void* direct_calloc(void* ctx, size_t nelem, size_t elsize) {
    auto* s = static_cast<DomainState*>(ctx);
    return s->backend.calloc(s->backend.ctx, nelem, elsize);
}
void* direct_realloc(void* ctx, void* ptr, size_t size) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr != nullptr && !s->owns(ptr)) return s->previous.realloc(s->previous.ctx, ptr, size);
    return s->backend.realloc(s->backend.ctx, ptr, size);
}
void direct_free(void* ctx, void* ptr) {
    auto* s = static_cast<DomainState*>(ctx);
    if (ptr != nullptr && !s->owns(ptr)) return s->previous.free(s->previous.ctx, ptr);
    s->backend.free(s->backend.ctx, ptr);
}

void serve_directly(int d, const Backend& backend) {
    DomainState& s = uncounted_direct[d];
    s.backend = backend;
    PyMem_GetAllocator(kCpythonDomain[d], &s.previous);
    PyMemAllocatorEx direct = {&s, direct_malloc, direct_calloc, direct_realloc, direct_free};
    PyMem_SetAllocator(kCpythonDomain[d], &direct);
}

InstallResult install_uncounted(AllocatorKind kind, const ArenaConfig& arena) {
    switch (kind) {
        case AllocatorKind::pymalloc: _PyMem_SetupAllocators(PYMEM_ALLOCATOR_PYMALLOC); break;
        case AllocatorKind::pymalloc_indirect: {
            _PyMem_SetupAllocators(PYMEM_ALLOCATOR_PYMALLOC);
            PyMemAllocatorEx a;  // MEM and OBJ share pymalloc's functions
            PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &a);
            const Backend pymalloc = {"pymalloc", a.ctx, a.malloc, a.calloc, a.realloc, a.free, nullptr, nullptr};
            serve_directly(int(Domain::mem), pymalloc);
            serve_directly(int(Domain::obj), pymalloc);
            break;
        }
        case AllocatorKind::malloc: _PyMem_SetupAllocators(PYMEM_ALLOCATOR_MALLOC); break;
        case AllocatorKind::mimalloc: {
            Backend mi{};
            const char* error = nullptr;
            if (!mimalloc_backend(&mi, &error)) return {InstallError::backend_unavailable, error};
            for (int d = 0; d < kDomainCount; ++d) serve_directly(d, mi);
            break;
        }
        case AllocatorKind::arena: {
            // The arena's own functions handle blocks from before the install (arena_backend.cpp).
            Backend backends[kDomainCount];
            const char* error = nullptr;
            if (!arena_backends(arena, backends, &error)) return {InstallError::backend_unavailable, error};
            for (int d = 0; d < kDomainCount; ++d) {
                const Backend& b = backends[d];
                PyMemAllocatorEx direct = {b.ctx, b.malloc, b.calloc, b.realloc, b.free};
                PyMem_SetAllocator(kCpythonDomain[d], &direct);
            }
            break;
        }
    }
    return {};
}

InstallResult install_counted(AllocatorKind kind, const ArenaConfig& arena) {
    Backend backends[kDomainCount];
    backends[0] = backends[1] = backends[2] = malloc_backend();
    switch (kind) {
        case AllocatorKind::pymalloc:
        case AllocatorKind::pymalloc_indirect:  // counted, every allocator is reached through a pointer
            backends[int(Domain::mem)] = backends[int(Domain::obj)] = pymalloc_backend();
            break;
        case AllocatorKind::malloc: break;
        case AllocatorKind::mimalloc: {
            const char* error = nullptr;
            if (!mimalloc_backend(&backends[0], &error)) return {InstallError::backend_unavailable, error};
            backends[1] = backends[2] = backends[0];
            break;
        }
        case AllocatorKind::arena: {
            const char* error = nullptr;
            if (!arena_backends(arena, backends, &error)) return {InstallError::backend_unavailable, error};
            break;
        }
    }
    for (int d = 0; d < kDomainCount; ++d) {
        DomainState& s = states[d];
        s.backend = backends[d];
        PyMem_GetAllocator(kCpythonDomain[d], &s.previous);
        PyMemAllocatorEx wrapper = d == int(Domain::raw) ? counted_allocator<true>(&s) : counted_allocator<false>(&s);
        PyMem_SetAllocator(kCpythonDomain[d], &wrapper);
    }
    return {};
}

}  // namespace

const char* allocator_kind_name(AllocatorKind kind) {
    switch (kind) {
        case AllocatorKind::pymalloc: return "pymalloc";
        case AllocatorKind::pymalloc_indirect: return "pymalloc-indirect";
        case AllocatorKind::malloc: return "malloc";
        case AllocatorKind::mimalloc: return "mimalloc";
        case AllocatorKind::arena: return "arena";
    }
    return "?";
}

InstallResult install_allocator(AllocatorKind kind, bool debug_hooks, bool count, const ArenaConfig& arena) {
    if (installed_name != nullptr) return {InstallError::already_installed, "an allocator is already installed"};
    InstallResult result = count ? install_counted(kind, arena) : install_uncounted(kind, arena);
    if (result.error != InstallError::none) return result;
    if (debug_hooks) PyMem_SetupDebugHooks();
    // Into a running interpreter (shrinkpy.install_allocator()): the collector can be watched now.
    // The launcher installs before the interpreter exists and calls watch_full_collections() later.
    if (kind == AllocatorKind::arena && Py_IsInitialized()) watch_full_collections();
    installed_name = allocator_kind_name(kind);
    counted = count;
    return {};
}

bool allocator_is_counted() { return counted; }

const char* cpython_allocator_name() { return _PyMem_GetCurrentAllocatorName(); }

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

namespace {

bool own_arena_stats(ArenaStats* out) { return installed_name != nullptr && arena_stats(out); }

constexpr AllocatorApi kOwnApi = {kAllocatorApiVersion, uint32_t(sizeof(StatsSnapshot) + sizeof(ArenaStats)),
                                  install_allocator,    installed_allocator_name,
                                  allocator_is_counted, stats_snapshot,
                                  own_arena_stats};

}  // namespace

const AllocatorApi& allocator_api() {
    static const AllocatorApi* api = [] {
#if SHRINKPY_NO_DLOPEN  // a fully static interpreter: no other copy to find
        return &kOwnApi;
#else
        using Getter = const AllocatorApi* (*)();
        auto getter = reinterpret_cast<Getter>(dlsym(RTLD_DEFAULT, "shrinkpy_allocator_api_v1"));
        const AllocatorApi* found = getter != nullptr ? getter() : nullptr;
        if (found != nullptr && found->version == kOwnApi.version && found->layout == kOwnApi.layout) return found;
        return &kOwnApi;
#endif
    }();
    return *api;
}

}  // namespace shrinkpy::alloc

extern "C" __attribute__((visibility("default"))) const shrinkpy::alloc::AllocatorApi* shrinkpy_allocator_api_v1() {
    return &shrinkpy::alloc::kOwnApi;
}
