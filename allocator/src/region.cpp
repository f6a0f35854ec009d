#include "region.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>

#include "checks.hpp"

namespace shrinkpy::alloc {

int Region::init(OsMemory& os, const ArenaConfig& config, const SizeClasses& classes, CommitLedger& ledger) {
    os_ = &os;
    classes_ = &classes;
    ledger_ = &ledger;
    page_ = os.page_size();
    page_shift_ = unsigned(std::countr_zero(page_));
    arena_order_ = unsigned(std::countr_zero(config.arena_bytes)) - page_shift_;
    queue_allowance_ = queue_allowance(config.retain_bytes);
    purge_delay_ms_ = config.purge_delay_ms;
    SHRINKPY_ALLOC_ASSERT(std::has_single_bit(page_) && arena_order_ <= kMaxPoolOrder);

    // Ask for less when the address space is short (a 32-bit process, ulimit -v): halve down to
    // kMinReserveArenas. Under a limit on address space (ulimit -v) the reservation counts as if it
    // were memory: take at most half of what is left, so that large blocks (mappings of their own),
    // thread stacks and libraries loaded later still fit, as they do under pymalloc.
    // The metadata array and the region are one reservation, the array first: free lists refer to
    // blocks by their distance from the pool's entry (PoolMeta::block_at), which must be positive and
    // fit 32 bits in 8-byte units. Page indices must stay below kNoPage (24-bit links).
    size_t arena = config.arena_bytes;
    uint64_t most = os.address_space_left();
    most = most == UINT64_MAX ? most : most / 2;
    int error = ENOMEM;
    for (size_t want = config.reserve_bytes; want >= kMinReserveArenas * arena; want /= 2) {
        size_t pages = want >> page_shift_;
        size_t meta_bytes = (pages * sizeof(PoolMeta) + page_ - 1) & ~(page_ - 1);
        uint64_t span = uint64_t(meta_bytes) + want;
        if (pages >= kNoPage || span >= kMaxRefSpan || span > SIZE_MAX || span > most) continue;
        void* meta = nullptr;
        error = os.reserve(size_t(span), &meta);
        if (error != 0) continue;
        // Which arenas are idle (decommitted), and a stack of them: one byte and four per arena.
        size_t arenas = want / arena;
        size_t idle_bytes = (arenas * (1 + sizeof(uint32_t)) + page_ - 1) & ~(page_ - 1);
        void* idle = nullptr;
        error = os.map(idle_bytes, &idle);
        if (error != 0) {
            os.unmap(meta, size_t(span));
            continue;
        }
        base_ = reinterpret_cast<uintptr_t>(meta) + meta_bytes;
        bytes_ = want;
        meta_ = static_cast<PoolMeta*>(meta);
        meta_bytes_ = meta_bytes;
        arena_count_ = uint32_t(arenas);
        idle_ = static_cast<uint32_t*>(idle);
        arena_idle_ = reinterpret_cast<uint8_t*>(idle_ + arenas);
        idle_bytes_ = idle_bytes;
        return 0;
    }
    return error;
}

void Region::destroy() {
    if (base_ == 0) return;
    purge_thread_.stop();
    unmap_cached_while([](const CachedMapping&) { return true; });
    os_->unmap(meta_, meta_bytes_ + bytes_);  // the region with it
    os_->unmap(idle_, idle_bytes_);
    base_ = 0;
}

// ---- buddy system --------------------------------------------------------------------------------

bool Region::commit_arena(uint32_t arena) {
    size_t arena_bytes = page_ << arena_order_;
    if (arena >= arenas_touched_) {
        // Metadata for every arena up to this one: committed once (16 bytes a page); retire_arena
        // purges the pages of idle arenas.
        size_t need = ((size_t(arena) + 1) << arena_order_) * sizeof(PoolMeta);
        need = (need + page_ - 1) & ~(page_ - 1);
        if (need > meta_committed_) {
            if (os_->commit(reinterpret_cast<char*>(meta_) + meta_committed_, need - meta_committed_) != 0)
                return false;
            meta_committed_ = need;
        }
    }
    char* start = address_of(arena << arena_order_);
    if (os_->commit(start, arena_bytes) != 0) return false;
    os_->name(start, arena_bytes, "shrinkpy-arena");
    if (arena >= arenas_touched_) arenas_touched_ = arena + 1;
    ++counters_.arenas_committed;
    return true;
}

uint32_t Region::buddy_alloc(unsigned order) {
    unsigned j = order;
    while (j < arena_order_ && free_lists_[j].empty()) ++j;
    uint32_t page;
    if (j < arena_order_ || !free_lists_[arena_order_].empty()) {
        page = free_lists_[j].pop_front(meta_);
    } else {  // a whole arena: one given back earlier, else a fresh one
        uint32_t arena;
        if (idle_count_ > 0) {
            arena = idle_[--idle_count_];
        } else if (arenas_touched_ < arena_count_) {
            arena = arenas_touched_;
        } else {
            return kNoPage;  // the reservation is used up
        }
        if (!commit_arena(arena)) {
            if (arena < arenas_touched_) ++idle_count_;  // still idle
            return kNoPage;
        }
        arena_idle_[arena] = 0;
        page = arena << arena_order_;
        j = arena_order_;
    }
    while (j > order) {  // split, keeping the lower half
        --j;
        uint32_t upper = page + (uint32_t{1} << j);
        meta_[upper] = PoolMeta::first(PoolState::free, j);
        free_lists_[j].push_front(meta_, upper);
    }
    return page;
}

void Region::buddy_free(uint32_t page, unsigned order) {
    while (order < arena_order_) {
        uint32_t buddy = page ^ (uint32_t{1} << order);
        PoolMeta& b = meta_[buddy];
        if (b.state != PoolState::free || b.order != order) break;
        free_lists_[order].remove(meta_, buddy);
        meta_[std::max(page, buddy)].state = PoolState::unused;
        page = std::min(page, buddy);
        ++order;
    }
    // One whole free arena stays committed (its pages are purged already), so that a program
    // whose heap hovers around an arena boundary does not commit and decommit it over and over.
    if (order < arena_order_ || free_lists_[arena_order_].empty()) {
        meta_[page] = PoolMeta::first(PoolState::free, order);
        free_lists_[order].push_front(meta_, page);
        return;
    }
    retire_arena(page >> arena_order_);
}

// Every pool of the arena is free: its address range goes back to no-access, which also releases
// its commit charge (the pages were purged already), and so do its metadata pages once every arena
// they describe is idle too (with 4 KiB pages: 4 KiB of metadata per 1 MiB arena).
void Region::retire_arena(uint32_t arena) {
    int error = os_->decommit(address_of(arena << arena_order_), page_ << arena_order_);
    SHRINKPY_ALLOC_ASSERT(error == 0);
    (void)error;
    --counters_.arenas_committed;
    arena_idle_[arena] = 1;
    idle_[idle_count_++] = arena;
    size_t per_arena = (size_t{1} << arena_order_) * sizeof(PoolMeta);  // metadata bytes of one arena
    uintptr_t meta = reinterpret_cast<uintptr_t>(meta_);
    uintptr_t first = (meta + arena * per_arena) & ~uintptr_t(page_ - 1);
    uintptr_t end = meta + (arena + 1) * per_arena;
    for (uintptr_t p = first; p < end; p += page_) {
        if (p + page_ > meta + meta_committed_) break;
        bool all_idle = true;  // every arena with metadata on this page
        for (size_t a = (p - meta) / per_arena; a < arenas_touched_ && a * per_arena < p + page_ - meta; ++a) {
            all_idle = all_idle && arena_idle_[a];
        }
        if (all_idle) os_->purge(reinterpret_cast<void*>(p), page_);
    }
}

// ---- pools ---------------------------------------------------------------------------------------

// An empty pool's free list is in the order its blocks were freed. One that waited in the queue is
// carved again, so that its blocks go out in address order as from a fresh pool: objects built one
// after another lie one after another, which is what the garbage collector's walks over them (in
// creation order) and the CPU's prefetchers like. Measured: a full collection of 300 000 dicts and
// lists built on pools reused with their old free lists took 27% longer than on fresh pools, as
// long with the lists carved again. One taken back at once (`hot`: a loop emptying and refilling
// pools) keeps its list when it served the same class: its blocks are in cache, and carving costs a
// store per block. (With the list emptied, the pool is carved again from its first block:
// arena_types.hpp.)
void Region::reuse(PoolMeta* m, HeapId heap, int size_class, bool hot) {
    if (!hot || m->size_class != size_class) m->free = kNoBlock;
    m->margin = 0;
    m->size_class = uint8_t(size_class);
    m->state = PoolState::current;
    m->heap = heap;
}

// A queued pool's free list waits in the pool's first block while PoolMeta::free holds the time
// it was queued. That block is free (the pool is empty) and carved (every pool was carved when it
// was first taken), and its second word is nobody's.
void Region::park_free_list(PoolMeta* m, uint32_t now) {
    reinterpret_cast<Block*>(address_of(m))->parked = m->free;
    m->queued_ms = now;
}

// Takes queued pool `page` off the queue for `size_class` of `heap`. Its free list comes back only
// when reuse() keeps it: the pool's first page is then still in cache.
void Region::unqueue(uint32_t page, HeapId heap, int size_class) {
    PoolMeta* m = &meta_[page];
    queue_[m->order].remove(meta_, page);
    counters_.queued_bytes -= pool_bytes(m);
    ++counters_.pools_reused;
    given_since_reuse_ = 0;
    bool hot = is_hot(*m) && m->size_class == size_class;
    m->free = hot ? reinterpret_cast<const Block*>(address_of(m))->parked : kNoBlock;
    reuse(m, heap, size_class, hot);
}

PoolMeta* Region::take_pool(HeapId heap, int size_class, unsigned order, bool fresh) {
    lock();
    // 1. The purge queue: the most recent pool of an order the class can use.
    uint32_t page = fresh ? kNoPage : find_queued(size_class, order);
    bool created = page == kNoPage;
    if (!created) {
        unqueue(page, heap, size_class);
    } else {
        // 2. and 3. Free arena space, within the cap (purging the queue first if that helps), and
        // what is kept for reuse goes back if the arena would pass its peak (offset_growth).
        size_t bytes = page_ << order;
        if (!ledger_->charge(bytes)) {
            evict(0);
            if (!ledger_->charge(bytes)) {
                ledger_->note_refusal();
                unlock();
                return nullptr;
            }
        }
        page = buddy_alloc(order);
        if (page == kNoPage) {
            ledger_->release(bytes);
            unlock();
            return nullptr;
        }
        for (uint32_t i = 1; i < (uint32_t{1} << order); ++i) meta_[page + i] = PoolMeta::tail(i);
        meta_[page] = PoolMeta::first(PoolState::unused, order);
        reuse(&meta_[page], heap, size_class, /*hot=*/false);
        ++counters_.pools_created;
    }
    PoolMeta* m = &meta_[page];
    // Only now that the new pool is in use: purging may merge free blocks around it.
    if (created) offset_growth_locked();
    unlock();
    return m;
}

PoolMeta* Region::take_queued(HeapId heap, int size_class, unsigned order) {
    lock();
    uint32_t page = find_queued(size_class, order);
    if (page != kNoPage) unqueue(page, heap, size_class);
    unlock();
    return page != kNoPage ? &meta_[page] : nullptr;
}

// A queued pool for `size_class`: of `order` preferably, else of any order the class's pools may have
// (its pools grow and shrink with demand, so a structure dropped in pools of one order is rebuilt
// in pools of another: both must find each other), larger ones first. kNoPage when none.
uint32_t Region::find_queued(int size_class, unsigned order) const {
    const ClassInfo& info = (*classes_)[size_class];
    uint32_t page = queue_[order].find_reusable(meta_, size_class, order, kQueueScan);
    for (unsigned k = info.order_hi; page == kNoPage && k + 1 > info.order_lo; --k) {
        if (k != order) page = queue_[k].find_reusable(meta_, size_class, k, kQueueScan);
    }
    return page;
}

void Region::give_back(const uint32_t* pages, int count) {
    lock();
    uint32_t now = uint32_t(os_->now_ms());
    for (int i = 0; i < count; ++i) {
        PoolMeta* pool = &meta_[pages[i]];
        SHRINKPY_ALLOC_ASSERT_INTERNAL(pool->margin == 0 && pool->state == PoolState::cached);
        pool->state = PoolState::queued;
        park_free_list(pool, now);
        queue_[pool->order].push_front(meta_, pages[i]);
        counters_.queued_bytes += pool_bytes(pool);
        given_since_reuse_ += pool_bytes(pool);
    }
    queue_changed();
    unlock();
}

void Region::queue_changed() {
    if (counters_.queued_bytes <= queue_allowance_) return;
    if (purge_delay_ms_ == 0) {
        // At once: down to half the allowance, so that purges come in batches rather than one pool
        // at a time; and down to an eighth when more than the allowance came back with none taken
        // again in between: a structure being dropped, not a loop refilling its pools.
        evict(given_since_reuse_ > queue_allowance_ ? queue_allowance_ / 8 : queue_allowance_ / 2);
        return;
    }
    if (purge_due_locked() != kNothingDue) purge_thread_.wake();
}

uint64_t Region::purge_due() {
    lock();
    uint64_t wait = purge_due_locked();
    unlock();
    return wait;
}

// The queue is oldest at its tail: purge from there while the tail's delay is over. (Its
// neighbours in the address space go in the same batch whatever their age: evict.)
uint64_t Region::purge_due_locked() {
    uint32_t now = uint32_t(os_->now_ms());  // differences modulo 2^32: wrap after 49 days
    auto due = [&](uint32_t since) { return uint32_t(now - since) >= purge_delay_ms_; };
    unmap_cached_while([&](const CachedMapping& m) { return due(m.freed_ms); });
    uint64_t wait =
        large_cache_.empty() ? kNothingDue : purge_delay_ms_ - uint32_t(now - large_cache_.oldest().freed_ms);
    while (counters_.queued_bytes > queue_allowance_) {
        uint32_t oldest = meta_[oldest_queued()].queued_ms;
        if (!due(oldest)) {
            uint64_t queue_wait = purge_delay_ms_ - uint32_t(now - oldest);
            return queue_wait < wait ? queue_wait : wait;
        }
        // Everything due now, in one batch.
        uint64_t bytes = 0;
        for (const PageList& list : queue_) {
            for (uint32_t page = list.tail; page != kNoPage && due(meta_[page].queued_ms); page = meta_[page].prev)
                bytes += pool_bytes(&meta_[page]);
        }
        uint64_t target = counters_.queued_bytes - bytes;
        evict(target > queue_allowance_ ? target : queue_allowance_);
    }
    if (wait == kNothingDue) process_peak_ = 0;  // the watch is over (offset_process_growth)
    return wait;
}

void Region::purge_beyond_allowance() {
    lock();
    unmap_cached_while([](const CachedMapping&) { return true; });
    if (counters_.queued_bytes > queue_allowance_) evict(queue_allowance_);
    unlock();
}

void Region::keep_large(void* start, size_t bytes) {
    SHRINKPY_ALLOC_ASSERT(purge_delay_ms_ > 0);
    lock();
    if (large_cache_.full()) unmap_cached(large_cache_.pop_oldest());
    large_cache_.add({start, bytes, uint32_t(os_->now_ms())});
    purge_thread_.wake();
    unlock();
}

bool Region::take_large(size_t bytes, size_t keep_at_least, CachedMapping* out) {
    lock();
    CachedMapping dropped;
    bool found = large_cache_.take(bytes, keep_at_least, out, &dropped);
    if (dropped.bytes != 0) unmap_cached(dropped);
    unlock();
    return found;
}

void Region::unmap_cached(const CachedMapping& m) {
    int error = os_->unmap(m.start, m.bytes);
    SHRINKPY_ALLOC_ASSERT(error == 0);
    (void)error;
    ledger_->release(m.bytes);
}

void Region::offset_growth() {
    lock();
    offset_growth_locked();
    unlock();
}

// What the arena holds (the ledger, which has just been charged for the growth) may not pass the
// most it would ever have held had it purged at once: its high-water mark without what is held for
// reuse (the slack: the whole queue, its allowance included, and the cached large mappings). Above
// it, slack goes back, at least kGrowthBatch at a time so that it costs few calls: the queue's
// oldest pools first, the allowance's too (a program still growing, like an interpreter importing
// its modules, does not reuse them: at `import json, re, collections, asyncio` the allowance held
// 0.2 MiB at the peak), then the ends of the longest
// cached large mappings (their fronts stay cached: a frame freed whole serves the next frame's
// buffers; unmapping the whole of a 6 MiB mapping for a page of growth would refault it all). Below it nothing needs to
// go: a program that drops a structure and builds another no larger never raises its peak by reusing the pages.
void Region::offset_growth_locked() { hold_to_peak(ledger_->current(), &eager_peak_); }

// The same rule for the whole process, sampled by the purge thread: its resident memory may not pass
// its peak without the slack. A watch starts from the process's peak so far (VmHWM: no slack was
// watched before) and ends when nothing waits for its delay (purge_due_locked). Between two samples
// another allocator can grow by what it grows in kWatchMs: by that much the slack still raises the
// peak. Measured on sqlite_ingest (SQLite's page cache through glibc while the arena held the
// parsed batch's pools for reuse): 97.2 -> 94.4 MB peak RSS (2 ms: 93.9; pymalloc 92.2, no delay 92.9).
void Region::offset_process_growth() {
    // Read outside the lock, which the heaps' slow paths take.
    uint64_t rss = os_->process_resident_bytes();
    uint64_t peak = os_->process_peak_resident_bytes();
    if (rss == 0) return;
    lock();
    if (held_for_reuse() != 0) {
        if (process_peak_ == 0) process_peak_ = peak;
        hold_to_peak(rss, &process_peak_);
    }
    unlock();
}

// `held` (with the slack) may not pass `*peak`, the high-water mark of `held` without the slack.
void Region::hold_to_peak(uint64_t held, uint64_t* peak) {
    uint64_t slack = held_for_reuse();
    uint64_t without = held > slack ? held - slack : 0;
    if (without > *peak) *peak = without;
    if (held <= *peak) return;
    uint64_t cut = held - *peak;  // at most the slack
    if (cut < kGrowthBatch) cut = slack < kGrowthBatch ? slack : kGrowthBatch;
    if (counters_.queued_bytes > 0) {
        uint64_t before = counters_.queued_bytes;
        uint64_t target = before > cut ? before - cut : 0;
        evict(target);
        uint64_t purged = before - counters_.queued_bytes;
        cut = purged >= cut ? 0 : cut - purged;
    }
    while (cut > 0 && !large_cache_.empty()) {  // the rest from the longest cached mappings' ends
        const CachedMapping& oldest = large_cache_.oldest();
        if (oldest.bytes <= cut + kGrowthBatch) {
            cut = oldest.bytes >= cut ? 0 : cut - oldest.bytes;
            unmap_cached(large_cache_.pop_oldest());
        } else {
            unmap_cached(large_cache_.cut_oldest((cut + page_ - 1) & ~(page_ - 1)));
            cut = 0;
        }
    }
}

void Region::give_back_fresh(uint32_t first, uint32_t count, unsigned order) {
    lock();
    for (uint32_t i = 0; i < count; ++i) {
        ledger_->release(page_ << order);
        buddy_free(first + (i << order), order);
    }
    unlock();
}

void Region::purge_queue() {
    lock();
    unmap_cached_while([](const CachedMapping&) { return true; });
    evict(0);
    unlock();
}

// The longest queued pool: the oldest of the lists' tails (ages modulo 2^32 ms). The queue is not empty.
uint32_t Region::oldest_queued() const {
    uint32_t now = uint32_t(os_->now_ms());
    uint32_t oldest = kNoPage;
    for (const PageList& list : queue_) {
        if (list.tail != kNoPage &&
            (oldest == kNoPage || uint32_t(now - meta_[list.tail].queued_ms) > uint32_t(now - meta_[oldest].queued_ms)))
            oldest = list.tail;
    }
    return oldest;
}

// The oldest queued pools, each with the queued pools next to it in the address space whatever
// their age (as long as more is to go): a class's pools lie side by side (Heap::take_run), and one madvise call for a
// run of pages costs about what one costs for a single page (a system call and a TLB shootdown).
void Region::evict(uint64_t target_bytes) {
    constexpr int kBatch = kEvictBatch;
    uint32_t batch[kBatch];
    auto take = [&](uint32_t page, int& n) {
        queue_[meta_[page].order].remove(meta_, page);
        counters_.queued_bytes -= pool_bytes(&meta_[page]);
        batch[n++] = page;
    };
    while (counters_.queued_bytes > target_bytes) {
        int n = 0;
        while (n < kBatch && counters_.queued_bytes > target_bytes) {
            uint32_t oldest = oldest_queued();
            uint32_t arena_end = ((oldest >> arena_order_) + 1) << arena_order_;
            take(oldest, n);
            auto more = [&] { return n < kBatch && counters_.queued_bytes > target_bytes; };
            for (uint32_t next = oldest + (uint32_t{1} << meta_[oldest].order);
                 more() && next < arena_end && meta_[next].state == PoolState::queued;
                 next += uint32_t{1} << meta_[next].order) {
                take(next, n);
            }
            uint32_t arena_start = arena_end - (uint32_t{1} << arena_order_);
            for (uint32_t end = oldest; more() && end > arena_start;) {
                // The pool that ends where this run starts: its last page is a tail or the pool
                // itself. (Tails of pools long gone stay behind in free space: check the span.)
                uint32_t before = end - 1;
                if (meta_[before].state == PoolState::tail) {
                    if (meta_[before].back > before - arena_start) break;
                    before -= meta_[before].back;
                }
                if (meta_[before].state != PoolState::queued || before + (uint32_t{1} << meta_[before].order) != end)
                    break;
                take(before, n);
                end = before;
            }
        }
        purge_and_free(batch, n);
    }
}

void Region::purge_and_free(uint32_t* pages, int count) {
    std::sort(pages, pages + count);
    PageRange ranges[kEvictBatch];
    size_t n = 0;
    for (int i = 0; i < count;) {
        // One range for each run of neighbouring pools.
        uint32_t start = pages[i];
        uint32_t end = start + (uint32_t{1} << meta_[start].order);
        int j = i + 1;
        while (j < count && pages[j] == end) end += uint32_t{1} << meta_[pages[j++]].order;
        ranges[n++] = {address_of(start), size_t(end - start) << page_shift_};
        counters_.pages_returned += end - start;
        i = j;
    }
    int error = os_->purge_ranges(ranges, n);
    SHRINKPY_ALLOC_ASSERT(error == 0);
    (void)error;
    counters_.purge_calls += n;
    pages_returned_.store(counters_.pages_returned, std::memory_order_relaxed);
    for (int i = 0; i < count; ++i) {
        unsigned order = meta_[pages[i]].order;
        ledger_->release(page_ << order);
        buddy_free(pages[i], order);
    }
}

RegionCounters Region::counters() {
    lock();
    RegionCounters c = counters_;
    c.large_cached_bytes = large_cache_.bytes();
    unlock();
    return c;
}

// ---- validation ----------------------------------------------------------------------------------

// A queued pool's free list, parked in its first block (park_free_list): blocks of the pool, each
// once at most (no more of them than it holds).
const char* Region::verify_parked_list(const PoolMeta& m) const {
    const ClassInfo& info = (*classes_)[m.size_class];
    uint32_t cap = info.capacity[m.order];
    const char* start = address_of(&m);
    uint32_t n = 0;
    for (uint32_t ref = reinterpret_cast<const Block*>(start)->parked; ref != kNoBlock; ref = m.block_at(ref)->next) {
        const char* a = reinterpret_cast<const char*>(m.block_at(ref));
        if (++n > cap || a < start || a >= start + size_t(cap) * info.size || (a - start) % info.size != 0)
            return "a queued pool's parked free list links outside its blocks";
    }
    return nullptr;
}

const char* Region::verify() {
    lock();
    const char* problem = nullptr;
    uint64_t queued = 0;
    uint32_t now = uint32_t(os_->now_ms());
    for (unsigned order = 0; order <= kMaxPoolOrder && !problem; ++order) {
        for (uint32_t page = queue_[order].head, prev = kNoPage; page != kNoPage && !problem;
             prev = page, page = meta_[page].next) {
            const PoolMeta& m = meta_[page];
            if (m.state != PoolState::queued || m.order != order)
                problem = "a pool on the purge queue is not queued, or on the wrong order's list";
            else if (m.prev != prev)
                problem = "purge queue links disagree";
            else if (m.margin != 0 || m.heap != HeapId::none)
                problem = "a queued pool has blocks or an owner";
            else if (prev != kNoPage && uint32_t(now - m.queued_ms) < uint32_t(now - meta_[prev].queued_ms))
                problem = "the purge queue is not oldest last";
            else
                problem = verify_parked_list(m);
            queued += pool_bytes(&m);
        }
    }
    if (!problem && queued != counters_.queued_bytes) problem = "queued_bytes differs from the queue";
    for (unsigned order = 0; order <= arena_order_ && !problem; ++order) {
        for (uint32_t page = free_lists_[order].head; page != kNoPage; page = meta_[page].next) {
            const PoolMeta& m = meta_[page];
            if (m.state != PoolState::free || m.order != order)
                problem = "buddy free list holds a wrong block";
            else if (page % (uint32_t{1} << order) != 0)
                problem = "buddy block not aligned to its order";
            if (problem) break;
        }
    }
    // Walk every arena in use: blocks tile it, tails point back to their pool.
    uint32_t pages = arenas_touched_ << arena_order_;
    uint32_t idle = 0;
    for (uint32_t page = 0; page < pages && !problem;) {
        if (arena_idle_[page >> arena_order_]) {
            ++idle;
            page += uint32_t{1} << arena_order_;
            continue;
        }
        const PoolMeta& m = meta_[page];
        bool pool = in_use(m.state) || is_empty_pool(m.state);
        if (m.state == PoolState::spare) {  // one page of a class's run; the heap checks the rest
            ++page;
            continue;
        }
        if (!pool && m.state != PoolState::free) {
            problem = "an arena page belongs to no pool and no free block";
            break;
        }
        uint32_t span = uint32_t{1} << m.order;
        if (page % span != 0 || (page >> arena_order_) != ((page + span - 1) >> arena_order_)) {
            problem = "a pool is misaligned or crosses an arena";
            break;
        }
        if (pool) {
            for (uint32_t i = 1; i < span && !problem; ++i) {
                if (meta_[page + i].state != PoolState::tail || meta_[page + i].back != i)
                    problem = "a pool's tail page does not point back to it";
            }
        }
        page += span;
    }
    if (!problem && idle != idle_count_) problem = "idle arenas miscounted";
    for (uint32_t i = 0; i < idle_count_ && !problem; ++i) {
        if (!arena_idle_[idle_[i]]) problem = "an arena on the idle stack is in use";
    }
    if (!problem && free_lists_[arena_order_].head != free_lists_[arena_order_].tail)
        problem = "more than one whole free arena is kept committed";
    unlock();
    return problem;
}

}  // namespace shrinkpy::alloc
