#include "arena.hpp"

#include <unistd.h>

#include <cstring>
#include <new>

#include "checks.hpp"

namespace shrinkpy::alloc {

[[noreturn]] void check_failed(const char* what, const char* file, int line) {
    char buf[512];
    int n = 0;
    auto put = [&](const char* s) {
        while (*s && n < int(sizeof buf) - 1) buf[n++] = *s++;
    };
    char number[16];
    int digits = 0;
    for (int v = line; v > 0 && digits < 15; v /= 10) number[digits++] = char('0' + v % 10);
    put("shrinkpy allocator: check failed: ");
    put(what);
    put(" (");
    put(file);
    put(":");
    while (digits > 0 && n < int(sizeof buf) - 2) buf[n++] = number[--digits];
    put(")\n");
    ssize_t ignored = write(2, buf, size_t(n));
    (void)ignored;
    abort();
}

Arena* Arena::create(OsMemory& os, const ArenaConfig& wanted, int* error) {
    size_t page = os.page_size();
    size_t bytes = (sizeof(Arena) + page - 1) & ~(page - 1);
    void* memory = nullptr;
    if ((*error = os.map(bytes, &memory)) != 0) return nullptr;
    Arena* a = new (memory) Arena;  // default-initialised: the 64 KiB class table stays untouched until used
    a->os_ = &os;
    a->mapping_bytes_ = bytes;
    a->config_ = wanted;
    normalize(a->config_, page);
    a->ledger_.set_cap(a->config_.max_heap_bytes);
    unsigned arena_order = unsigned(__builtin_ctzll(a->config_.arena_bytes / page));
    a->classes_.init(page, arena_order, a->config_.large_threshold, a->config_.pool_blocks);
    if ((*error = a->region_.init(os, a->config_, a->classes_, a->ledger_)) != 0 ||
        (*error = a->large_.init(os)) != 0) {
        a->region_.destroy();
        os.unmap(memory, bytes);
        return nullptr;
    }
    a->config_.reserve_bytes = a->region_.bytes();  // what the OS granted
    a->gil_.init(HeapId::gil, *a);
    a->raw_.init(HeapId::raw, *a);
    return a;
}

void Arena::destroy(Arena* a) {
    a->large_.destroy();
    a->region_.destroy();
    OsMemory* os = a->os_;
    size_t bytes = a->mapping_bytes_;
    a->~Arena();
    os->unmap(a, bytes);
}

// ---- entry points --------------------------------------------------------------------------------

void* Arena::malloc(HeapId id, size_t n) {
    if (id != HeapId::raw) return gil_.malloc(n);
    lock_raw();
    void* p = raw_.malloc(n);
    unlock_raw();
    return p;
}

void* Arena::calloc(HeapId id, size_t nelem, size_t elsize) {
    if (id != HeapId::raw) return gil_.calloc(nelem, elsize);
    lock_raw();
    void* p = raw_.calloc(nelem, elsize);
    unlock_raw();
    return p;
}

void* Arena::realloc(HeapId id, void* p, size_t n) {
    if (id != HeapId::raw) return gil_.realloc(p, n);
    lock_raw();
    void* q = raw_.realloc(p, n);
    unlock_raw();
    return q;
}

bool Arena::free(HeapId id, void* p) {
    if (id != HeapId::raw) return gil_.free(p);
    if (!raw_.in_region(p)) return raw_.free(p);  // null, large or foreign: no lock needed
    lock_raw();
    raw_.free(p);
    unlock_raw();
    return true;
}

size_t Arena::block_size(const void* p) const {
    if (gil_.in_region(p)) return classes_[gil_.pool_of(p)->size_class].size;
    return large_.size_of(p);
}

// ---- large blocks --------------------------------------------------------------------------------

void* Arena::malloc_large(size_t n, bool zero) {
    size_t page = region_.page_size();
    if (n > (SIZE_MAX >> 1)) return nullptr;  // CPython never asks for more than PY_SSIZE_T_MAX
    size_t bytes = (n + page - 1) & ~(page - 1);
    CachedMapping cached;
    if (region_.take_large(bytes, config_.large_threshold, &cached)) {
        if (void* p = reuse_large(cached, bytes)) {
            if (zero) std::memset(p, 0, n);
            return p;
        }
    }
    if (!ledger_.charge(bytes)) {
        region_.purge_queue();
        if (!ledger_.charge(bytes)) {
            ledger_.note_refusal();
            return nullptr;
        }
    }
    region_.offset_growth();
    void* p = large_.map(bytes);
    if (p == nullptr) ledger_.release(bytes);
    return p;
}

void* Arena::realloc_large(void* p, size_t bytes, size_t n) {
    size_t page = region_.page_size();
    if (n > (SIZE_MAX >> 1)) return nullptr;
    size_t new_bytes = (n + page - 1) & ~(page - 1);
    if (new_bytes == bytes) return p;
    if (new_bytes > bytes && !ledger_.charge(new_bytes - bytes)) {
        region_.purge_queue();
        if (!ledger_.charge(new_bytes - bytes)) {
            ledger_.note_refusal();
            return nullptr;
        }
    }
    if (new_bytes > bytes) region_.offset_growth();
    void* q = large_.remap(p, bytes, new_bytes);
    if (q == nullptr) {
        if (new_bytes > bytes) ledger_.release(new_bytes - bytes);
        return nullptr;
    }
    if (new_bytes < bytes) ledger_.release(bytes - new_bytes);
    return q;
}

// A cached mapping (still charged), resized to `bytes` with mremap: shrunk in place, or grown (in
// place or moved, pages and all). nullptr, and the mapping gone, when that fails.
void* Arena::reuse_large(const CachedMapping& cached, size_t bytes) {
    bool grows = bytes > cached.bytes;
    if (grows && !ledger_.charge(bytes - cached.bytes)) {  // over the cap: a fresh mapping will not fit either
        unmap_unregistered(cached);
        return nullptr;
    }
    if (!large_.adopt(cached.start, cached.bytes)) {
        unmap_unregistered(cached);
        if (grows) ledger_.release(bytes - cached.bytes);
        return nullptr;
    }
    if (bytes == cached.bytes) return cached.start;
    if (grows) region_.offset_growth();
    void* p = large_.remap(cached.start, cached.bytes, bytes);
    if (p == nullptr) {
        free_now(cached.start, cached.bytes);
        if (grows) ledger_.release(bytes - cached.bytes);
        return nullptr;
    }
    if (!grows) ledger_.release(cached.bytes - bytes);
    return p;
}

void Arena::unmap_unregistered(const CachedMapping& m) {
    os_->unmap(m.start, m.bytes);
    ledger_.release(m.bytes);
}

void Arena::free_now(void* p, size_t bytes) {
    large_.unmap(p, bytes);
    ledger_.release(bytes);
}

// With a purge delay, the mapping waits in the region's LargeCache for the next large request.
void Arena::free_large(void* p, size_t bytes) {
    if (config_.purge_delay_ms == 0) return free_now(p, bytes);
    large_.forget(p, bytes);
    region_.keep_large(p, bytes);
}

// ---- blocks reached through the other heap -------------------------------------------------------

bool Arena::free_foreign_pool(PoolMeta* m, void* p, HeapId caller) {
    if (m->heap == HeapId::raw) {  // MEM/OBJ freeing a RAW block: under RAW's lock
        SHRINKPY_ALLOC_ASSERT(caller != HeapId::raw);
        lock_raw();
        raw_.free_block(m, p);
        unlock_raw();
        return true;
    }
    if (m->heap == HeapId::gil) {  // RAW freeing a MEM/OBJ block: only safe with the GIL held, as in CPython
        gil_.free_block(m, p);
        return true;
    }
    // A pool not in use: a double free, or a pointer that was never allocated.
    SHRINKPY_ALLOC_ASSERT(false && "free of a block that is not allocated");
    return true;
}

void* Arena::realloc_foreign_pool(PoolMeta* m, void* p, size_t n, HeapId caller) {
    if (m->heap == HeapId::raw) {
        SHRINKPY_ALLOC_ASSERT(caller != HeapId::raw);
        lock_raw();
        void* q = raw_.realloc(p, n);
        unlock_raw();
        return q;
    }
    if (m->heap == HeapId::gil) return gil_.realloc(p, n);
    SHRINKPY_ALLOC_ASSERT(false && "realloc of a block that is not allocated");
    return nullptr;
}

// ---- statistics and validation -------------------------------------------------------------------

ArenaStats Arena::stats() {
    ArenaStats s;
    s.page_size = region_.page_size();
    s.arena_bytes = config_.arena_bytes;
    s.reserve_bytes = region_.bytes();
    s.large_threshold = config_.large_threshold;
    s.retain_bytes = config_.retain_bytes;
    s.max_heap_bytes = config_.max_heap_bytes;
    s.class_count = classes_.count();
    for (int i = 0; i < s.class_count; ++i) {
        ArenaClassStats& c = s.classes[i];
        c.block_size = classes_[i].size;
        c.pool_bytes = uint32_t(region_.page_size() << gil_.size_class(i).order);
    }
    lock_raw();
    region_.for_each_pool([&](const PoolMeta& m) {
        uint64_t bytes = region_.pool_bytes(&m);
        if (is_empty_pool(m.state)) {
            s.queued_bytes += bytes;
            return;
        }
        s.pool_bytes += bytes;
        ArenaClassStats& c = s.classes[m.size_class];
        ++c.pools;
        c.blocks_in_use += blocks_used(m, classes_[m.size_class]);
        c.blocks_capacity += classes_[m.size_class].capacity[m.order];
    });
    for (int i = 0; i < s.class_count; ++i) {
        s.classes[i].pools_peak = uint64_t(gil_.size_class(i).pools_peak) + raw_.size_class(i).pools_peak;
        s.in_use_bytes += s.classes[i].blocks_in_use * s.classes[i].block_size;
    }
    s.reserved_bytes = gil_.spare_bytes() + raw_.spare_bytes();
    unlock_raw();
    RegionCounters rc = region_.counters();
    s.large_blocks = large_.blocks();
    s.large_bytes = large_.bytes();
    s.large_cached_bytes = rc.large_cached_bytes;
    s.in_use_bytes += s.large_bytes;
    s.committed_bytes = ledger_.current();
    s.committed_peak_bytes = ledger_.peak();
    s.arenas_committed = rc.arenas_committed;
    s.pools_created = rc.pools_created;
    s.pools_reused = rc.pools_reused + gil_.pools_reused() + raw_.pools_reused();
    s.pages_returned = rc.pages_returned;
    s.purge_calls = rc.purge_calls;
    s.cap_failures = ledger_.refusals();
    s.overflowed = gil_.overflowed() + raw_.overflowed();
    return s;
}

void Arena::trim() {
    gil_.give_back_empties();
    lock_raw();
    raw_.give_back_empties();
    unlock_raw();
    region_.purge_queue();
}

const char* Arena::verify() {
    if (const char* problem = region_.verify()) return problem;
    if (const char* problem = gil_.verify()) return problem;
    lock_raw();
    const char* problem = raw_.verify();
    unlock_raw();
    return problem;
}

}  // namespace shrinkpy::alloc
