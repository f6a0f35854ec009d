// A heap: the size classes of one caller (MEM and OBJ together, or RAW), each allocating from one
// pool at a time, and the fast paths CPython calls.
//
// The fast paths mirror pymalloc's (Objects/obmalloc.c, 3.11: pymalloc_alloc, pymalloc_free):
//   malloc: class from the size, its current pool, pop the pool's free list, count it.
//   free:   one subtraction and comparison for "in the region", the pool's metadata by page index,
//           push onto its free list, count it down: its margin going negative (arena_types.hpp)
//           is everything else.
// Free lists link blocks by 32-bit references relative to the pool's metadata entry
// (PoolMeta::block_at): a shift and an add, with no base address to load.
// Everything else (a pool running dry, a full pool getting room, a pool emptying, large and foreign
// blocks) is a slow path out of line. The current pool of a class of small blocks stays current
// when it empties (ClassInfo::sticky), so allocating and freeing one block at a time never leaves
// the fast path; Heap::sweep lets such pools go when pools are draining.
//
// Which pool a class allocates from next (refill): the fullest partially used pool first (four
// occupancy buckets, fullest first; a pool moves down a bucket only when refill looks at it), so
// that the emptier ones drain and can be purged (but not again one it took lately with kFewFree
// blocks or fewer to give, while another can be had: next_pool); a full pool that gets a block back
// while its class's current pool is used up is the fullest there can be, and takes over at once
// (take_over_current); then one of the heap's own recently emptied pools (up to its share of the
// retain allowance, kept without any lock: a loop that empties and refills a pool costs what it
// costs pymalloc); then a pool from the region (region.hpp). What a class takes adapts to demand:
// each class starts with pools of its order_lo, one at a time; after kGrowAfter pools taken in a
// row its pools grow an order (up to order_hi, size_classes.hpp), then it asks the region for runs
// of 2, 4, ... up to 2^kMaxRunOrder contiguous pools at once (when no queued pool is left to
// reuse), keeping the rest as spares (untouched until used). Whenever one of its pools empties,
// both step back. Runs keep a class's pools side by side, so that when a structure of many small
// objects is dropped its pages go back to the OS in a few long madvise calls, not one per page (a
// system call and a TLB shootdown each).
//
// When a program replaces blocks at random, most frees go into full pools (drained) and most
// mallocs take one back for a block or two (refill): slow paths on both sides, where pymalloc has
// the same list moves inline. Tried and left out (2026-12-06): a full pool that refill had taken
// back stays off the buckets until its second free block, not its first (a per-pool state):
// bench_alloc's Random/small 75 -> 102 M/s and PythonMix 81 -> 106 M/s, but the single free blocks
// it leaves out of use raised the workloads' peaks (text_index +0.9%, sensor_pipeline +0.5%;
// +1.7% with every full pool), and no workload got faster.
//
// Thread safety: none inside. The MEM/OBJ heap relies on the GIL; the RAW heap is used under
// Arena::lock_raw().
#pragma once

#include <cstddef>
#include <cstdint>

#include "arena_types.hpp"
#include "page_list.hpp"
#include "size_classes.hpp"

namespace shrinkpy::alloc {

class Arena;

inline constexpr int kBuckets = 4;
inline constexpr unsigned kGrowAfter = 4;
inline constexpr unsigned kMaxRunOrder = 4;  // runs of at most 16 pools
inline constexpr size_t kMaxRunBytes = 256 * kKiB;
// Pool requests sent straight to the overflow, after the region refused one, before it is asked again.
inline constexpr uint32_t kRegionRetryAfter = 64;
// Refill passes over a pool it took lately with this many free blocks or fewer (next_pool).
inline constexpr uint32_t kFewFree = 2;

// One cache line per class, for the slow paths (a 72-byte SizeClass measured slower). The malloc
// fast path reads only the class's current pool, from Heap::current_.
struct alignas(64) SizeClass {
    uint8_t order = 0;              // order of the next pool taken from the region
    uint8_t run_order = 0;          // log2 of the pools asked of the region at once
    uint8_t streak = 0;             // pools taken in a row with none of this class's pools emptying
    uint8_t spare_order = 0;        // order of the spare pools
    uint32_t spare_page = kNoPage;  // first of spare_count fresh pools of this class, side by side
    uint32_t spare_count = 0;
    uint32_t pools = 0;  // pools in use (current, partial, full)
    uint32_t pools_peak = 0;
    PageList buckets[kBuckets];  // partial pools by occupancy; buckets[kBuckets - 1] is the fullest
    // From the class's ClassInfo, for the slow paths that run once a pool fills or gets room again
    // (most operations when blocks are replaced at random): its line is not then in the cache.
    uint16_t capacity_lo = 0;  // blocks in a pool of order_lo (every pool of a small class)
    uint8_t order_lo = 0;
    uint8_t current_low = 0;  // current_low_mark
    // The last two pools refill took with kFewFree blocks or fewer to give (next_pool).
    uint32_t few_taken[2] = {kNoPage, kNoPage};
};
static_assert(sizeof(SizeClass) == 64);

// The low mark of a pool (arena_types.hpp): not stored, it follows from the pool's state and class.
// The slow paths that move a pool from state to state know both and set its margin directly.
inline int current_low_mark(const ClassInfo& info) { return info.sticky ? 0 : 1; }
inline uint32_t low_mark(const PoolMeta& m, const ClassInfo& info) {
    if (m.state == PoolState::full) return info.capacity[m.order];
    if (m.state == PoolState::current) return uint32_t(current_low_mark(info));
    return is_partial(m.state) ? 1 : 0;
}
// Blocks in use in a pool (0 for an empty pool).
inline uint32_t blocks_used(const PoolMeta& m, const ClassInfo& info) {
    return uint32_t(int32_t(m.margin) + int32_t(low_mark(m, info)));
}

// Where a heap sends the requests its region cannot serve (the reservation full: cut down by
// `ulimit -v`, region.cpp; or the OS refusing a commit): the allocator the domain had before the
// arena. Its blocks need nothing more: the arena does not own them, so free and realloc already hand
// them back to it (arena_backend.cpp). Only the slow paths that failed call it: the fast paths stay
// as they are. None under a heap cap: the cap is the user's limit, and its nullptr becomes
// CPython's MemoryError.
struct Overflow {
    void* ctx = nullptr;
    void* (*malloc)(void* ctx, size_t n) = nullptr;
    void* (*calloc)(void* ctx, size_t nelem, size_t elsize) = nullptr;
};

class Heap {
public:
    void init(HeapId id, Arena& arena);
    void set_overflow(const Overflow& overflow) { overflow_ = overflow; }
    uint64_t overflowed() const { return overflowed_; }  // requests served by the overflow (cumulative)

    // Any size, 0 included (served as 1 byte, like CPython's raw allocator). nullptr when out of
    // memory (the overflow's too) or over the cap.
    void* malloc(size_t n) {
        int cls;
        if (n - 1 < kSmallMax) [[likely]] {  // 1..512: n == 0 wraps around to the slow path
            cls = SizeClasses::small_index(n);
        } else if (n - 1 < large_threshold_) {
            cls = info_->medium_index(n);
        } else {
            return malloc_large(n);
        }
        PoolMeta* m = current_[cls];
        uint32_t ref = m->free;
        if (ref == kNoBlock) [[unlikely]]
            return refill(cls);
        Block* b = m->block_at(ref);
        m->free = b->next;
        ++m->margin;
        return b;
    }

    // Frees `p` when it is null or the arena's (true); false when it belongs to no one here, for the
    // caller to hand to the allocator installed before.
    bool free(void* p) {
        if (PoolMeta* m = own_pool(p)) [[likely]] {
            free_block(m, p);
            return true;
        }
        return free_not_own(p);
    }

    // The pool of `p` when it lies in the first page of one of this heap's pools (every small
    // block), else nullptr: free_not_own sorts out the rest.
    PoolMeta* own_pool(const void* p) const {
        uintptr_t offset = reinterpret_cast<uintptr_t>(p) - base_;
        if (offset >= region_bytes_) [[unlikely]]
            return nullptr;
        PoolMeta* m = meta_ + (offset >> page_shift_);
        return m->heap == id_ ? m : nullptr;
    }

    // Heap::free of what own_pool did not name: null, a large block, a block past the first page of
    // one of this heap's pools, a block of the other heap's, or none of the arena's (false).
    bool free_not_own(void* p);

    // `p` is a block of pool `m`, which this heap owns.
    void free_block(PoolMeta* m, void* p) {
        static_cast<Block*>(p)->next = m->free;
        m->free = m->ref_of(p);
        if (--m->margin < 0) [[unlikely]]  // used < low mark
            drained(m);
    }

    void* calloc(size_t nelem, size_t elsize);
    // `p` is null or the arena's. In place when the new size fits the block and wastes less than a
    // quarter of it (pymalloc's rule), or stays in the class; large blocks move with mremap.
    void* realloc(void* p, size_t n);

    bool in_region(const void* p) const { return reinterpret_cast<uintptr_t>(p) - base_ < region_bytes_; }
    // The first page's metadata of the pool holding `p` (in the region).
    PoolMeta* pool_of(const void* p) const {
        PoolMeta* m = meta_ + ((reinterpret_cast<uintptr_t>(p) - base_) >> page_shift_);
        return m->state == PoolState::tail ? m - m->back : m;
    }

    HeapId id() const { return id_; }
    uint64_t spare_bytes() const;                      // fresh pools the classes hold in reserve
    uint64_t pools_reused() const { return reused_; }  // taken back from empties_ (cumulative)
    const SizeClass& size_class(int i) const { return classes_[i]; }
    // Hands every empty pool this heap keeps, current ones included, to the region's purge queue,
    // and every class's spares back to the region (Arena::trim).
    void give_back_empties() {
        spill(0);
        for (int cls = 0; cls < kMaxSizeClasses; ++cls) {
            if (spares_[cls / 64] & (uint64_t{1} << (cls % 64))) give_back_spares(cls);
        }
    }

    // Expensive validator: every pool of this heap against the invariants of arena_types.hpp and
    // its class lists. nullptr when they hold, else what does not.
    const char* verify() const;
    const char* verify_pool(const PoolMeta& m) const;

private:
    void* refill(int cls);
    void* malloc_large(size_t n);
    void* overflow_malloc(size_t n, size_t zeroed_count = 0);
    void drained(PoolMeta* m);
    bool take_over_current(PoolMeta* m, uint32_t used);
    PoolMeta* next_pool(int cls);
    PoolMeta* new_pool(int cls);
    // `m`, a pool of class `c` with `used` blocks in use, becomes a current pool (its margin
    // measured from the current low mark).
    static void make_current(const SizeClass& c, PoolMeta* m, uint32_t used) {
        m->state = PoolState::current;
        m->margin = int16_t(int32_t(used) - c.current_low);
    }
    void carve(PoolMeta* m, uint32_t carved);
    void release(PoolMeta* m);
    PoolMeta* take_spare(int cls);
    PoolMeta* take_run(int cls);
    void give_back_spares(int cls);
    void sweep();
    void give_up_current(int cls);
    size_t pool_bytes(const PoolMeta* m) const { return size_t{1} << (page_shift_ + m->order); }
    void spill(size_t target_bytes);
    uint32_t capacity(const PoolMeta* m) const;
    uint32_t used(const PoolMeta* m) const { return blocks_used(*m, (*info_)[m->size_class]); }
    // capacity(m) for a pool of class c, without the class table when the pool is of its order_lo.
    uint32_t capacity_in(const SizeClass& c, const PoolMeta* m) const {
        return m->order == c.order_lo ? c.capacity_lo : capacity(m);
    }

    // Read by every fast path: kept together at the front.
    uintptr_t base_ = 0;  // the region
    size_t region_bytes_ = 0;
    PoolMeta* meta_ = nullptr;
    unsigned page_shift_ = 0;
    HeapId id_ = HeapId::none;
    size_t large_threshold_ = 0;  // requests above it are large
    // Each class's current pool, the pool allocations come from (the heap's sentinel when none):
    // eight classes a cache line, so that a program allocating from many classes keeps them in L1
    // (in SizeClass, a line a class: bench_alloc's PythonMix and Random/small 2-4% slower, sympy's
    // test_radsimp 1.5% more user time, on this Xeon).
    PoolMeta* current_[kMaxSizeClasses];
    SizeClass classes_[kMaxSizeClasses];

    PageList empties_;        // empty pools (state queued) kept for reuse, most recent first
    size_t empty_bytes_ = 0;  // their bytes
    size_t empty_allowance_ = 0;
    uint64_t reused_ = 0;
    uint64_t active_[kMaxSizeClasses / 64] = {};  // classes whose current pool is not the sentinel
    uint64_t spares_[kMaxSizeClasses / 64] = {};  // classes holding spare pools
    Arena* arena_ = nullptr;
    const SizeClasses* info_ = nullptr;
    PoolMeta sentinel_{};  // a pool with no free block and nothing to carve: classes start on it
    Overflow overflow_;
    uint64_t overflowed_ = 0;
    uint32_t region_skip_ = 0;  // pool requests left that go to the overflow without asking the region
};

}  // namespace shrinkpy::alloc
