#include "heap.hpp"

#include <bit>
#include <cstring>

#include "arena.hpp"
#include "checks.hpp"

namespace shrinkpy::alloc {
namespace {

// Occupancy bucket of a partial pool: 0 (under a quarter used) to kBuckets - 1 (three quarters
// and more).
// (used * kBuckets / capacity, without the division: this runs on every full pool's first free.)
static_assert(kBuckets == 4);
inline int occupancy(uint32_t used, uint32_t capacity) {
    uint64_t u = uint64_t(used) * 4;
    return u >= uint64_t(capacity) * 2 ? (u >= uint64_t(capacity) * 3 ? 3 : 2) : (u >= capacity ? 1 : 0);
}

}  // namespace

void Heap::init(HeapId id, Arena& arena) {
    Region& region = arena.region();
    base_ = region.base();
    region_bytes_ = region.bytes();
    meta_ = region.meta();
    page_shift_ = region.page_shift();
    id_ = id;
    large_threshold_ = arena.classes().large_threshold();
    arena_ = &arena;
    info_ = &arena.classes();
    sentinel_ = PoolMeta::first(PoolState::current, 0);
    empty_allowance_ = Region::heap_allowance(id, arena.config().retain_bytes);
    for (int i = 0; i < info_->count(); ++i) {
        classes_[i] = SizeClass{};
        current_[i] = &sentinel_;
        classes_[i].order = (*info_)[i].order_lo;
        classes_[i].capacity_lo = uint16_t((*info_)[i].capacity[(*info_)[i].order_lo]);
        classes_[i].order_lo = (*info_)[i].order_lo;
        classes_[i].current_low = uint8_t(current_low_mark((*info_)[i]));
    }
}

uint32_t Heap::capacity(const PoolMeta* m) const { return (*info_)[m->size_class].capacity[m->order]; }

// ---- allocation slow path ------------------------------------------------------------------------

// Links the next blocks of a pool into its free list: those that start before the end of the OS
// page the first of them starts in, so that untouched pages stay untouched (at least one block).
// `carved`: the blocks carved so far, which are the blocks in use, the free list being empty
// (arena_types.hpp).
void Heap::carve(PoolMeta* m, uint32_t carved) {
    uint32_t size = (*info_)[m->size_class].size;
    uint32_t left = capacity(m) - carved;
    SHRINKPY_ALLOC_ASSERT_INTERNAL(m->free == kNoBlock && carved < capacity(m) && carved == used(m));
    char* pool = arena_->region().address_of(m);
    size_t first = size_t(carved) * size;
    size_t page_end = ((first >> page_shift_) + 1) << page_shift_;
    uint32_t n = uint32_t((page_end - first + size - 1) / size);
    if (n > left) n = left;
    char* block = pool + first;
    for (uint32_t i = 0; i + 1 < n; ++i, block += size) reinterpret_cast<Block*>(block)->next = m->ref_of(block + size);
    reinterpret_cast<Block*>(block)->next = kNoBlock;
    m->free = m->ref_of(pool + first);
}

// The current pool's free list is empty, so its blocks in use are the blocks carved so far.
void* Heap::refill(int cls) {
    SizeClass& c = classes_[cls];
    PoolMeta* m = current_[cls];
    uint32_t carved = m != &sentinel_ ? uint32_t(m->margin + c.current_low) : 0;
    if (m != &sentinel_ && carved < capacity_in(c, m)) {
        carve(m, carved);
    } else {
        if (m != &sentinel_) {  // used == capacity: off every list until a block comes back
            m->state = PoolState::full;
            m->margin = 0;  // the low mark is the capacity
        }
        m = next_pool(cls);
        current_[cls] = m != nullptr ? m : &sentinel_;
        uint64_t bit = uint64_t{1} << (cls % 64);
        active_[cls / 64] = m != nullptr ? (active_[cls / 64] | bit) : (active_[cls / 64] & ~bit);
        if (m == nullptr) return overflow_malloc((*info_)[cls].size);
        if (m->free == kNoBlock) carve(m, 0);  // a fresh pool, or one carved again (Region::reuse)
    }
    Block* b = m->block_at(m->free);
    m->free = b->next;
    ++m->margin;
    SHRINKPY_ALLOC_ASSERT_EXPENSIVE(verify_pool(*m) == nullptr);
    return b;
}

PoolMeta* Heap::next_pool(int cls) {
    SizeClass& c = classes_[cls];
    // Pools passed over (below): at most the two of c.few_taken. They go to the back of the top
    // bucket, so that the next refills do not pop and pass over them again first.
    uint32_t passed[2];
    int n_passed = 0;
    auto put_back = [&] {
        while (n_passed > 0) c.buckets[kBuckets - 1].push_back(meta_, passed[--n_passed]);
    };
    // The fullest partial pool. Pools stay on the bucket they were put on while they lose blocks
    // (the free path does not move them); here they are moved down to where they belong, so the
    // one taken is on the right bucket.
    for (int b = kBuckets - 1; b >= 0; --b) {
        uint32_t page;
        while ((page = c.buckets[b].pop_front(meta_)) != kNoPage) {
            PoolMeta* m = meta_ + page;
            uint32_t used = uint32_t(m->margin) + 1;  // partial: the low mark is 1
            uint32_t cap = capacity_in(c, m);
            int actual = occupancy(used, cap);
            if (actual != b) {
                m->state = partial_on(actual);
                c.buckets[actual].push_front(meta_, page);
                continue;
            }
            if (b == kBuckets - 1 && cap - used <= kFewFree) {
                // A block or two to give: the refill after it comes at once. When a class's blocks
                // in use fill its pools but for a slot or two, and the program allocates and frees
                // temporaries, refill takes back, for one block, a pool a temporary has just been
                // freed into, on every round (three pools trading places: a refill and two drained
                // calls a round, 5-7% of a dict-building loop's samples). So a pool refill took
                // with so few blocks lately (one of the last two) is passed over for another
                // partial pool or, when there is none, a new one, and the temporaries settle in
                // that. At most those two pools of a class keep their free slots.
                if (page == c.few_taken[0] || page == c.few_taken[1]) {
                    passed[n_passed++] = page;
                    continue;
                }
                c.few_taken[1] = c.few_taken[0];
                c.few_taken[0] = page;
            }
            put_back();
            make_current(c, m, used);
            return m;
        }
    }
    PoolMeta* m = new_pool(cls);
    if (m == nullptr && n_passed > 0) {  // none to be had: the last one passed over after all
        m = meta_ + passed[--n_passed];
        make_current(c, m, uint32_t(m->margin) + 1);  // partial: the low mark is 1
    }
    put_back();
    return m;
}

// An empty pool for the class: one the heap emptied lately, a spare, or the region's.
PoolMeta* Heap::new_pool(int cls) {
    SizeClass& c = classes_[cls];
    const ClassInfo& info = (*info_)[cls];
    PoolMeta* m;
    uint32_t page = empties_.find_reusable(meta_, cls, c.order, Region::kQueueScan);
    if (page != kNoPage) {  // one of our own recently emptied pools: resident, no lock
        empties_.remove(meta_, page);
        m = meta_ + page;
        empty_bytes_ -= pool_bytes(m);
        Region::reuse(m, id_, cls, /*hot=*/true);  // the heap keeps only its most recent few
        ++reused_;
    } else {
        // The region refused lately and the overflow serves instead: not another failed search
        // under the region's lock for every request (a fifth of such a program's time).
        if (c.spare_count == 0 && region_skip_ > 0) {
            --region_skip_;
            return nullptr;
        }
        m = c.spare_count > 0 ? take_spare(cls) : take_run(cls);
        if (m == nullptr) {
            if (overflow_.malloc != nullptr) region_skip_ = kRegionRetryAfter;
            return nullptr;
        }
        if (++c.streak >= kGrowAfter) {  // demand: bigger pools, then longer runs
            c.streak = 0;
            if (c.order < info.order_hi)
                ++c.order;
            else if (c.run_order < kMaxRunOrder)
                ++c.run_order;
        }
    }
    m->margin = int16_t(-c.current_low);  // no block in use yet
    if (++c.pools > c.pools_peak) c.pools_peak = c.pools;
    return m;
}

// The next of the class's spare pools: it becomes the class's current pool.
PoolMeta* Heap::take_spare(int cls) {
    SizeClass& c = classes_[cls];
    uint32_t page = c.spare_page;
    uint32_t span = uint32_t{1} << c.spare_order;
    c.spare_page += span;
    if (--c.spare_count == 0) c.spare_page = kNoPage;
    for (uint32_t i = 1; i < span; ++i) meta_[page + i] = PoolMeta::tail(i);
    PoolMeta m = PoolMeta::first(PoolState::current, c.spare_order);
    m.size_class = uint8_t(cls);
    m.heap = id_;
    meta_[page] = m;
    return meta_ + page;
}

// Pools from the region: a run of 2^run_order of them when the class is in demand (one if the cap
// or the arena size does not allow a run), the first returned, the others kept as spares.
PoolMeta* Heap::take_run(int cls) {
    SizeClass& c = classes_[cls];
    const ClassInfo& info = (*info_)[cls];
    Region& region = arena_->region();
    unsigned run = c.run_order;
    while (run > 0 && (c.order + run > region.arena_order() || (region.page_size() << (c.order + run)) > kMaxRunBytes))
        --run;
    if (run > 0) {  // resident empty pools first: a loop that frees and refills must not fault
        if (PoolMeta* queued = region.take_queued(id_, cls, c.order)) return queued;
    }
    PoolMeta* m = region.take_pool(id_, cls, c.order + run, /*fresh=*/run > 0);
    if (m == nullptr && run > 0) {
        run = 0;
        m = region.take_pool(id_, cls, c.order, false);
    }
    unsigned order = c.order;
    if (m == nullptr && c.order != info.order_lo) {  // a smaller pool may still fit under the cap
        order = info.order_lo;
        m = region.take_pool(id_, cls, order, false);
    }
    if (m == nullptr) return nullptr;
    if (run > 0) {
        uint32_t first = uint32_t(m - meta_);
        uint32_t span = uint32_t{1} << order;
        m->order = uint8_t(order);
        for (uint32_t page = first + span; page < first + (span << run); ++page)
            meta_[page] = PoolMeta::first(PoolState::spare, 0);
        c.spare_page = first + span;
        c.spare_count = (uint32_t{1} << run) - 1;
        c.spare_order = uint8_t(order);
        spares_[cls / 64] |= uint64_t{1} << (cls % 64);
    }
    return m;
}

void Heap::give_back_spares(int cls) {
    SizeClass& c = classes_[cls];
    if (c.spare_count > 0) arena_->region().give_back_fresh(c.spare_page, c.spare_count, c.spare_order);
    c.spare_page = kNoPage;
    c.spare_count = 0;
    spares_[cls / 64] &= ~(uint64_t{1} << (cls % 64));
}

uint64_t Heap::spare_bytes() const {
    uint64_t bytes = 0;
    for (int cls = 0; cls < info_->count(); ++cls) {
        bytes += uint64_t(classes_[cls].spare_count) << (page_shift_ + classes_[cls].spare_order);
    }
    return bytes;
}

void* Heap::malloc_large(size_t n) {
    if (n == 0) return malloc(1);
    void* p = arena_->malloc_large(n);
    return p != nullptr ? p : overflow_malloc(n);
}

void* Heap::overflow_malloc(size_t n, size_t zeroed_count) {
    if (overflow_.malloc == nullptr) return nullptr;
    void* p = zeroed_count != 0 ? overflow_.calloc(overflow_.ctx, zeroed_count, n) : overflow_.malloc(overflow_.ctx, n);
    if (p != nullptr) ++overflowed_;
    return p;
}

void* Heap::calloc(size_t nelem, size_t elsize) {
    size_t n = nelem * elsize;
    if (elsize != 0 && n / elsize != nelem) return nullptr;
    if (n != 0 && n > large_threshold_) {
        void* p = arena_->malloc_large(n, /*zero=*/true);
        return p != nullptr ? p : overflow_malloc(elsize, nelem);
    }
    void* p = malloc(n);
    if (p != nullptr) std::memset(p, 0, n);  // pool blocks may be reused
    return p;
}

// ---- free slow path ------------------------------------------------------------------------------

bool Heap::free_not_own(void* p) {
    if (!in_region(p)) {
        if (p == nullptr) return true;
        size_t bytes = arena_->large_size(p);
        if (bytes == 0) return false;  // not the arena's
        arena_->free_large(p, bytes);
        return true;
    }
    PoolMeta* m = pool_of(p);
    if (m->heap == id_) {  // past the first page of one of this heap's pools
        free_block(m, p);
        return true;
    }
    return arena_->free_foreign_pool(m, p, id_);
}

// A full pool just got a block back, so it is as full as a partial pool can be: the one refill would
// pick first. When its class has nothing left to allocate from (its current pool used up, or
// none), it becomes the current pool at once, and the used-up one goes full, off every list, as
// refill would leave it. pymalloc does the same (a pool freed into goes to the front of usedpools),
// and it saves the bucket's push and pop and the refill: when a program holds many blocks and
// replaces them at random, that is most of the slow paths.
inline bool Heap::take_over_current(PoolMeta* m, uint32_t used) {
    const int cls = m->size_class;
    SizeClass& c = classes_[cls];
    PoolMeta* current = current_[cls];
    if (current->free != kNoBlock) return false;
    if (current == &sentinel_) {
        active_[cls / 64] |= uint64_t{1} << (cls % 64);
    } else {
        // Blocks not carved yet: not used up.
        if (uint32_t(current->margin + c.current_low) < capacity_in(c, current)) return false;
        current->state = PoolState::full;
        current->margin = 0;
    }
    make_current(c, m, used);
    current_[cls] = m;
    SHRINKPY_ALLOC_ASSERT_EXPENSIVE(verify_pool(*m) == nullptr);
    return true;
}

void Heap::drained(PoolMeta* m) {
    SizeClass& c = classes_[m->size_class];
    uint32_t page = uint32_t(m - meta_);
    if (m->state == PoolState::full) {  // room again: onto the bucket of its occupancy
        uint32_t cap = capacity_in(c, m);
        uint32_t used = uint32_t(m->margin + int32_t(cap));  // margin -1: one block below the capacity
        if (used == 0) {                                     // a pool of one block
            release(m);
            if (empty_bytes_ > empty_allowance_) spill(empty_allowance_ / 2);
            return;
        }
        if (take_over_current(m, used)) return;
        int b = occupancy(used, cap);
        m->state = partial_on(b);
        m->margin = int16_t(used - 1);  // the low mark is 1
        c.buckets[b].push_front(meta_, page);
        SHRINKPY_ALLOC_ASSERT_EXPENSIVE(verify_pool(*m) == nullptr);
    } else if (is_partial(m->state)) {  // empty
        c.buckets[bucket_of(m->state)].remove(meta_, page);
        release(m);
        if (empty_bytes_ > empty_allowance_) spill(empty_allowance_ / 2);
    } else if (m->state == PoolState::current) {  // empty, and its class is not sticky
        give_up_current(m->size_class);
        if (empty_bytes_ > empty_allowance_) spill(empty_allowance_ / 2);
    } else {
        SHRINKPY_ALLOC_ASSERT(false && "a block freed into a pool that is not in use");
    }
}

void Heap::release(PoolMeta* m) {
    SizeClass& c = classes_[m->size_class];
    --c.pools;
    c.streak = 0;
    if (c.run_order > 0)
        --c.run_order;
    else if (c.order > (*info_)[m->size_class].order_lo)
        --c.order;
    m->state = PoolState::cached;
    m->heap = HeapId::none;
    m->margin = 0;
    empties_.push_front(meta_, uint32_t(m - meta_));
    empty_bytes_ += pool_bytes(m);
}

// The oldest of the heap's empty pools go to the region's purge queue, a batch per lock. Pools are
// emptying fast when this happens (a structure being dropped), so it is also when classes whose
// current pool has emptied give it up (sweep).
void Heap::spill(size_t target_bytes) {
    sweep();
    constexpr int kBatch = 64;
    uint32_t batch[kBatch];
    while (empty_bytes_ > target_bytes) {
        int n = 0;
        while (n < kBatch && empty_bytes_ > target_bytes) {
            uint32_t page = empties_.pop_back(meta_);
            empty_bytes_ -= pool_bytes(meta_ + page);
            batch[n++] = page;
        }
        arena_->region().give_back(batch, n);
    }
}

// Current pools stay current when they empty, so that a class allocating and freeing one block at
// a time never leaves the fast path. Here the empty ones are let go.
void Heap::sweep() {
    for (int word = 0; word < kMaxSizeClasses / 64; ++word) {
        for (uint64_t bits = active_[word]; bits != 0; bits &= bits - 1) {
            int cls = word * 64 + std::countr_zero(bits);
            if (used(current_[cls]) == 0) give_up_current(cls);
        }
        // Spares of classes that have stopped allocating (no current pool left) go back too.
        for (uint64_t bits = spares_[word] & ~active_[word]; bits != 0; bits &= bits - 1) {
            give_back_spares(word * 64 + std::countr_zero(bits));
        }
    }
}

void Heap::give_up_current(int cls) {
    PoolMeta* m = current_[cls];
    current_[cls] = &sentinel_;
    active_[cls / 64] &= ~(uint64_t{1} << (cls % 64));
    release(m);
}

// ---- realloc -------------------------------------------------------------------------------------

void* Heap::realloc(void* p, size_t n) {
    if (p == nullptr) return malloc(n);
    size_t old;
    if (in_region(p)) {
        PoolMeta* m = pool_of(p);
        if (m->heap != id_) return arena_->realloc_foreign_pool(m, p, n, id_);
        old = (*info_)[m->size_class].size;
        if (n <= old && n != 0 && (4 * n > 3 * old || n > old - kSmallStep)) return p;
    } else {
        old = arena_->large_size(p);
        SHRINKPY_ALLOC_ASSERT(old != 0);
        if (n > large_threshold_) {
            void* q = arena_->realloc_large(p, old, n);
            if (q != nullptr || overflow_.malloc == nullptr) return q;  // else a copy in the overflow
        }
    }
    void* q = malloc(n);
    if (q == nullptr) return nullptr;  // the old block stays as it was
    std::memcpy(q, p, n < old ? n : old);
    free(p);
    return q;
}

// ---- validation ----------------------------------------------------------------------------------

const char* Heap::verify() const {
    size_t empty = 0;
    for (uint32_t page = empties_.head; page != kNoPage; page = meta_[page].next) {
        const PoolMeta& m = meta_[page];
        if (m.state != PoolState::cached || m.margin != 0 || m.heap != HeapId::none)
            return "a heap's empty pool is not empty and queued";
        empty += arena_->region().pool_bytes(&m);
    }
    if (empty != empty_bytes_ || empty_bytes_ > empty_allowance_) return "a heap's empty pools miscounted";
    for (int cls = 0; cls < info_->count(); ++cls) {
        const SizeClass& c = classes_[cls];
        const ClassInfo& info = (*info_)[cls];
        if (c.order < info.order_lo || c.order > info.order_hi) return "a class's pool order is out of its range";
        for (int b = 0; b < kBuckets; ++b) {
            for (uint32_t page = c.buckets[b].head; page != kNoPage; page = meta_[page].next) {
                const PoolMeta& m = meta_[page];
                if (m.state != partial_on(b) || m.heap != id_ || m.size_class != cls)
                    return "an occupancy bucket holds a pool that is not a partial pool of its class";
                if (occupancy(used(&m), capacity(&m)) > b) return "a partial pool is below its occupancy";
            }
        }
        for (uint32_t i = 0; i < (c.spare_count << c.spare_order); ++i) {
            if (meta_[c.spare_page + i].state != PoolState::spare) return "a class's spare pool is not spare";
        }
        if (current_[cls] != &sentinel_) {
            const PoolMeta& m = *current_[cls];
            if (m.state != PoolState::current || m.heap != id_ || m.size_class != cls)
                return "a class's current pool is not current";
        }
    }
    const char* problem = nullptr;
    arena_->region().for_each_pool([&](const PoolMeta& m) {
        if (problem == nullptr && m.heap == id_) problem = verify_pool(m);
    });
    return problem;
}

const char* Heap::verify_pool(const PoolMeta& m) const {
    uint32_t cap = capacity(&m);
    uint32_t size = (*info_)[m.size_class].size;
    int32_t in_use = int32_t(m.margin) + int32_t(low_mark(m, (*info_)[m.size_class]));
    if (in_use < 0 || uint32_t(in_use) > cap)
        return "a pool's margin puts its blocks in use below none or above its capacity";
    const char* start = arena_->region().address_of(&m);
    uint32_t free_blocks = 0;
    size_t end = 0;  // past the last free block
    for (uint32_t ref = m.free; ref != kNoBlock && free_blocks <= cap; ref = m.block_at(ref)->next) {
        const char* a = reinterpret_cast<const char*>(m.block_at(ref));
        if (a < start || a >= start + size_t(cap) * size || (a - start) % size != 0)
            return "a free list links outside its pool's blocks";
        if (size_t(a - start) + size > end) end = size_t(a - start) + size;
        ++free_blocks;
    }
    uint32_t carved = uint32_t(in_use) + free_blocks;
    if (carved > cap) return "used + free > capacity";
    if (end > size_t(carved) * size) return "a free block lies past the carved ones (the first used + free)";
    if (m.state == PoolState::full) {
        if (m.free != kNoBlock || m.margin != 0) return "a full pool has free blocks or blocks to spare";
    } else if (is_partial(m.state)) {
        if (in_use == 0 || uint32_t(in_use) >= cap || carved != cap)
            return "a partial pool is empty, full or not carved";
    } else if (m.state == PoolState::current) {
        if (current_[m.size_class] != &m) return "a current pool is not its class's current pool";
    } else {
        return "a pool of this heap is not in use";
    }
    return nullptr;
}

}  // namespace shrinkpy::alloc
