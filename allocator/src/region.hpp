// The region: one reservation of address space, cut into arenas, cut into pools by a buddy system;
// and the purge queue, where empty pools wait for reuse until their pages go back to the OS.
//
// Where a heap's new pool comes from (take_pool), in order:
//   1. the purge queue (a list per pool order): the most recently emptied pool of the same order,
//      preferably of the same class (its free list is still good), so a loop that empties and
//      refills a pool costs no system call and no page fault;
//   2. the buddy free lists: the smallest free block of at least that order, split down. Free
//      blocks are always purged, so their pages arrive zero-filled as the pool is carved;
//   3. a fresh arena, committed now.
// Empty pools come back in batches (give_back) from the heaps, which keep the most recent few
// themselves (Heap::release). The queue keeps its allowance (what retain_bytes leaves after the
// heaps' own) unless the arena grows past its peak; pools beyond it are purged (the delayed purge, mimalloc's
// purge_delay and jemalloc's decay in spirit):
//   - purge_delay_ms after they were queued (purge_due), checked as pools come and go and, while
//     the program is quiet, by the purge thread (purge_thread.hpp), so that a program that drops a
//     structure and soon builds another reuses its resident pages instead of faulting them in
//     again, and one that goes quiet gives them back;
//   - when the arena grows instead (take_pool from free space, a large mapping: offset_growth)
//     past the most it would have held purging at once, by as much, the allowance included, so
//     that the pages kept for reuse never raise the peak;
//   - when the program calls gc.collect() (purge_beyond_allowance, from the arena's gc.callbacks
//     entry): a full collection the program asks for is where it expects memory back after
//     dropping data (and where the benchmarks' "retained" marks are taken). Full collections
//     CPython starts by itself come in the middle of building structures, often while the
//     program rebuilds from the queue: those leave it alone;
//   - with purge_delay_ms == 0, at once: down to half the allowance, or to an eighth after a drop.
// Purged pools go in batches, sorted by address so that neighbours share one range (and ranges
// share one process_madvise call where the kernel allows), and return to the buddy system, which
// merges them with their buddies. An arena whose pools are all free again is decommitted and kept
// on a stack of idle arenas, which come back before fresh ones; its metadata pages are purged too.
// One whole free arena stays committed (pymalloc keeps one free arena too, bpo-37257).
//
// Thread safety: every member function takes the region's mutex, except the accessors of constant
// fields and of the atomic counters. Lock order: a heap's lock (the RAW heap's), then the region's.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arena_types.hpp"
#include "large_cache.hpp"
#include "page_list.hpp"
#include "purge_thread.hpp"
#include "shrinkpy/alloc/arena_config.hpp"
#include "shrinkpy/alloc/os_memory.hpp"
#include "size_classes.hpp"

namespace shrinkpy::alloc {

// What the arena holds from the OS (pools in use or queued, large mappings), against the cap.
class CommitLedger {
public:
    void set_cap(uint64_t cap) { cap_ = cap; }
    uint64_t cap() const { return cap_; }

    // Adds `bytes`; false, and nothing added, when that would pass the cap.
    bool charge(uint64_t bytes) {
        uint64_t now = current_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
        if (cap_ != 0 && now > cap_) {
            current_.fetch_sub(bytes, std::memory_order_relaxed);
            return false;
        }
        uint64_t peak = peak_.load(std::memory_order_relaxed);
        while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
        }
        return true;
    }
    void release(uint64_t bytes) { current_.fetch_sub(bytes, std::memory_order_relaxed); }
    void note_refusal() { refusals_.fetch_add(1, std::memory_order_relaxed); }

    uint64_t current() const { return current_.load(std::memory_order_relaxed); }
    uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
    uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

private:
    uint64_t cap_ = 0;  // 0: none
    std::atomic<uint64_t> current_{0};
    std::atomic<uint64_t> peak_{0};
    std::atomic<uint64_t> refusals_{0};  // requests refused because of the cap
};

struct RegionCounters {
    uint64_t arenas_committed = 0;    // accessible now
    uint64_t queued_bytes = 0;        // empty pools on the purge queue
    uint64_t pools_created = 0;       // from the buddy system (cumulative)
    uint64_t pools_reused = 0;        // from the purge queue (cumulative)
    uint64_t pages_returned = 0;      // purged OS pages (cumulative)
    uint64_t purge_calls = 0;         // purged ranges: madvise calls, or ranges of process_madvise calls (cumulative)
    uint64_t large_cached_bytes = 0;  // freed large mappings kept for reuse (large_cache.hpp)
};

class Region {
public:
    // Reserves the region and its metadata array. 0, or an errno value (nothing reserved then).
    int init(OsMemory& os, const ArenaConfig& config, const SizeClasses& classes, CommitLedger& ledger);
    // Unmaps the region and its metadata (tests; every block is gone after it).
    void destroy();

    uintptr_t base() const { return base_; }
    size_t bytes() const { return bytes_; }
    size_t page_size() const { return page_; }
    unsigned page_shift() const { return page_shift_; }
    unsigned arena_order() const { return arena_order_; }
    PoolMeta* meta() const { return meta_; }
    uint32_t page_of(const PoolMeta* m) const { return uint32_t(m - meta_); }
    char* address_of(uint32_t page) const { return reinterpret_cast<char*>(base_ + (uintptr_t(page) << page_shift_)); }
    char* address_of(const PoolMeta* m) const { return address_of(page_of(m)); }
    size_t pool_bytes(const PoolMeta* m) const { return page_ << m->order; }

    // A pool for `heap` and `size_class`, in state current with no block in use and margin 0 (the
    // heap's low mark makes it -1 for a class that is not sticky): a queued one, of 2^order pages or of
    // another order the class's pools may have (find_queued), else one of 2^order pages from free
    // space. Its free list is kept or carved again as reuse() says. nullptr when the cap or the
    // address space is exhausted. `fresh`: from free arena space only, never a queued pool (a run
    // to be split into spares, which must be untouched: they go back to the buddy system unpurged).
    PoolMeta* take_pool(HeapId heap, int size_class, unsigned order, bool fresh = false);
    // A pool from the purge queue only (resident, so no page faults, and as find_queued picks it),
    // or nullptr.
    PoolMeta* take_queued(HeapId heap, int size_class, unsigned order);
    // `count` untouched pools of `order` from `first` on (a class's spares), back to free space.
    void give_back_fresh(uint32_t first, uint32_t count, unsigned order);
    // Empty pools (margin 0, state cached) back from a heap, onto the purge queue, oldest last.
    void give_back(const uint32_t* pages, int count);
    // Makes an empty pool the current pool of `size_class` in `heap`; `hot`: emptied a moment ago,
    // it keeps its free list (PoolMeta::free) when it served that class last (region.cpp says why).
    static void reuse(PoolMeta* pool, HeapId heap, int size_class, bool hot);
    // Purges every queued pool now, and unmaps every cached large mapping.
    void purge_queue();
    // A freed large mapping (already unregistered), kept for reuse (purge_delay_ms > 0).
    void keep_large(void* start, size_t bytes);
    // A cached large mapping for a request of `bytes` (LargeCache::take, keeping remainders of at
    // least `keep_at_least`), still charged to the ledger; false when none.
    bool take_large(size_t bytes, size_t keep_at_least, CachedMapping* out);
    // Purges the queued pools beyond the allowance whose delay is over. Returns the milliseconds
    // until the next one is due, or kNothingDue.
    uint64_t purge_due();
    // Purges every queued pool beyond the allowance and every cached large mapping now (the program
    // asked for a full collection).
    void purge_beyond_allowance();
    // The arena has grown (the ledger is charged): if it now holds more than it ever would have held
    // purging at once, what is kept for reuse goes back, so that keeping it never raises the peak.
    void offset_growth();
    // Called by the purge thread every kWatchMs while pools wait for their delay: when the whole
    // process's resident memory passes its peak without what the arena holds for reuse (another
    // allocator growing: the C library's for SQLite, numpy), as much of that goes back. Region
    // lock not held. offset_growth can only see the arena's own growth.
    void offset_process_growth();
    // 5 ms: a look costs a read of /proc/self/statm (~5 us), 0.1% of a core while pools wait.
    static constexpr uint64_t kWatchMs = 5;
    // Lets the purge thread run (started when first needed) so that delayed purges happen while the
    // program is quiet; without it they happen only as pools come and go (tests).
    void enable_purge_thread() { purge_thread_.enable(); }
    // In a child after fork(): the purge thread did not come along.
    void after_fork_in_child() { purge_thread_.after_fork_in_child(); }
    void stop_purge_thread() { purge_thread_.stop(); }
    // The loop of the purge thread (purge_thread.cpp), with the lock held.
    uint64_t purge_due_locked();
    pthread_mutex_t* mutex() { return &mutex_; }
    static constexpr uint64_t kNothingDue = UINT64_MAX;

    // Lock-free reads for the memory sampler (timeline.hpp): may lag a purge in progress.
    uint64_t pages_returned_now() const { return pages_returned_.load(std::memory_order_relaxed); }

    RegionCounters counters();
    // Calls f(PoolMeta&) for the first page of every pool in use or queued (lock held).
    template <typename F>
    void for_each_pool(F&& f);
    // Calls f(first_page, pages) for every arena that is committed now (the caller holds the lock),
    // and the metadata array's committed bytes.
    template <typename F>
    void for_each_committed_arena(F&& f) const {
        for (uint32_t arena = 0; arena < arenas_touched_; ++arena) {
            if (!arena_idle_[arena]) f(arena << arena_order_, uint32_t{1} << arena_order_);
        }
    }
    size_t metadata_committed() const { return meta_committed_; }

    // Expensive validator: buddy lists, tails, the queue and its byte count. Returns nullptr when
    // everything holds, else what does not (a static string).
    const char* verify();

    void lock() { pthread_mutex_lock(&mutex_); }
    void unlock() { pthread_mutex_unlock(&mutex_); }

private:
    uint32_t buddy_alloc(unsigned order);
    void buddy_free(uint32_t page, unsigned order);
    void retire_arena(uint32_t arena);
    bool commit_arena(uint32_t arena);
    void evict(uint64_t target_bytes);
    void purge_and_free(uint32_t* pages, int count);
    void queue_changed();  // a pool joined the queue: purge what is due, start or wake the thread
    uint32_t oldest_queued() const;
    uint32_t find_queued(int size_class, unsigned order) const;
    void park_free_list(PoolMeta* m, uint32_t now);
    void unqueue(uint32_t page, HeapId heap, int size_class);
    const char* verify_parked_list(const PoolMeta& m) const;
    // Queued within the last kHotMs (a tick of the coarse clock).
    bool is_hot(const PoolMeta& m) const { return uint32_t(uint32_t(os_->now_ms()) - m.queued_ms) <= kHotMs; }
    static constexpr uint32_t kHotMs = 4;
    void offset_growth_locked();
    void hold_to_peak(uint64_t held, uint64_t* peak);  // gives back slack: offset_growth_locked
    void unmap_cached(const CachedMapping& m);
    // Unmaps cached large mappings, oldest first, while `more(oldest)` says so.
    template <typename F>
    void unmap_cached_while(F&& more) {
        while (!large_cache_.empty() && more(large_cache_.oldest())) unmap_cached(large_cache_.pop_oldest());
    }
    static constexpr int kEvictBatch = 256;  // pools purged per batch
    // Held for reuse: cached large mappings and the whole queue (offset_growth).
    uint64_t held_for_reuse() const { return large_cache_.bytes() + counters_.queued_bytes; }

    OsMemory* os_ = nullptr;
    CommitLedger* ledger_ = nullptr;
    const SizeClasses* classes_ = nullptr;
    uintptr_t base_ = 0;              // first byte of the region
    size_t bytes_ = 0;                // reserved bytes, a multiple of the arena size
    size_t page_ = 0;                 // OS page, bytes
    unsigned page_shift_ = 0;         // log2(page_)
    unsigned arena_order_ = 0;        // log2(OS pages per arena)
    uint32_t arena_count_ = 0;        // arenas in the region
    uint64_t queue_allowance_ = 0;    // retain_bytes minus what the two heaps keep
    uint64_t given_since_reuse_ = 0;  // bytes queued since a queued pool was last taken back
    uint32_t purge_delay_ms_ = 0;     // ArenaConfig::purge_delay_ms
    uint64_t eager_peak_ = 0;         // high-water mark of the ledger without the slack (offset_growth)
    uint64_t process_peak_ = 0;       // the same for the process's resident memory, while watched; 0: not watching

    PoolMeta* meta_ = nullptr;     // one entry per OS page of the region (reserved, committed as arenas are),
                                   //   just below the region: one reservation of meta_bytes_ + bytes_
    size_t meta_bytes_ = 0;        // reserved
    size_t meta_committed_ = 0;    // committed prefix, bytes
    uint32_t arenas_touched_ = 0;  // arenas [0, arenas_touched_) have been committed at least once
    uint32_t* idle_ = nullptr;     // stack of idle (decommitted) arenas, idle_count_ of them
    uint32_t idle_count_ = 0;
    uint8_t* arena_idle_ = nullptr;  // 1 for an idle arena (its metadata may be purged: all zero)
    size_t idle_bytes_ = 0;          // mapping of the two above

    pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
    PageList free_lists_[kMaxPoolOrder + 1];  // buddy free lists by order, below the arena order
    PageList queue_[kMaxPoolOrder + 1];       // purge queue by pool order, most recently emptied at the front
    LargeCache large_cache_;
    RegionCounters counters_;
    std::atomic<uint64_t> pages_returned_{0};  // counters_.pages_returned, for readers without the lock
    PurgeThread purge_thread_{*this};

public:
    static constexpr unsigned kQueueScan = 8;  // queued pools looked at for a same-class match
    // Growth offset in batches of at least this much, so that it costs few purge calls.
    static constexpr uint64_t kGrowthBatch = 256 * 1024;
    // Empty pools a heap keeps for itself, without taking the region's lock: an eighth of the
    // retain allowance each, for good; the purge queue keeps the rest until the arena grows past its peak. (Giving the
    // MEM/OBJ heap three quarters, so that a loop emptying and refilling up to 768 KiB of pools never takes a lock,
    // measured no faster in bench_alloc, and its empty pools escape the purge thread.)
    static size_t heap_allowance(HeapId, size_t retain_bytes) { return retain_bytes / 8; }
    static size_t queue_allowance(size_t retain_bytes) {
        return retain_bytes - heap_allowance(HeapId::gil, retain_bytes) - heap_allowance(HeapId::raw, retain_bytes);
    }
};

template <typename F>
void Region::for_each_pool(F&& f) {
    lock();
    uint32_t pages = arenas_touched_ << arena_order_;
    for (uint32_t page = 0; page < pages;) {
        if (arena_idle_[page >> arena_order_]) {
            page += uint32_t{1} << arena_order_;
            continue;
        }
        PoolMeta& m = meta_[page];
        bool pool = in_use(m.state) || is_empty_pool(m.state);
        if (pool) f(m);
        page += (pool || m.state == PoolState::free) ? (uint32_t{1} << m.order) : 1;
    }
    unlock();
}

}  // namespace shrinkpy::alloc
