// ====================================================================================================
// The arena allocator's core types.
//
// Glossary
//   OS page     the kernel's page, sysconf(_SC_PAGESIZE): 4 KiB on x86-64 and most arm64 kernels,
//               16 KiB on Raspberry Pi 5 kernels, 64 KiB on some others. The unit of commit and purge.
//   region      the one range of address space reserved at start (ArenaConfig::reserve_bytes; no
//               access, no memory). Every small and medium block lives in it, so "is this block
//               ours" is one subtraction and one comparison.
//   arena       an aligned slice of the region (ArenaConfig::arena_bytes, 1 MiB). Committed (made
//               accessible) when first needed, decommitted when all its pools are free again; the
//               largest block of the buddy system that hands out pools (region.hpp).
//   pool        2^order consecutive OS pages of one arena with blocks of one size class for one
//               heap. The unit of purge: when its last block is freed the pool joins the purge
//               queue, and when it leaves the queue unused its pages go back to the OS.
//   block       what malloc returns: a slot of a pool (small and medium requests), or a mapping of
//               its own (large requests, large_blocks.hpp).
//   size class  a block size. Small: 16 to 512 bytes, 16 apart (pymalloc's classes). Medium: eight
//               per doubling up to ArenaConfig::large_threshold (size_classes.hpp).
//   heap        the size classes of one caller: one heap serves CPython's MEM and OBJ domains
//               (called with the GIL held: no lock), one serves RAW (any thread, behind a mutex).
//   purge queue empty pools still resident, most recently emptied first: up to
//               ArenaConfig::retain_bytes of them for good (the hysteresis that keeps a loop that
//               fills and empties a pool from returning and refaulting the same pages every time),
//               the rest for ArenaConfig::purge_delay_ms (region.hpp).
// ====================================================================================================
#pragma once

#include <cstddef>
#include <cstdint>

namespace shrinkpy::alloc {

// A free block: its first word links the pool's free list.
struct Block {
    Block* next;
};

enum class HeapId : uint8_t { none = 0, gil = 1, raw = 2 };

enum class PoolState : uint8_t {
    unused,   // page not the first page of a pool or of a free buddy block (or never committed)
    tail,     // a page after the first of a pool in use; PoolMeta::used is the distance back
    free,     // first page of a free buddy block (purged); on the buddy free list of its order
    queued,   // first page of an empty pool, still resident, on the region's purge queue
    cached,   // first page of an empty pool, still resident, on its heap's own list of empty pools
    spare,    // a page of a class's run of fresh pools, not handed out yet (untouched: not resident)
    current,  // first page of the pool its class allocates from
    full,     // first page of a pool without free blocks (on no list)
    partial,  // first page of a pool with free blocks, on occupancy bucket 0 of its class; partial
              //   + b: on bucket b (up to kBuckets - 1)
};

inline constexpr bool in_use(PoolState s) { return s >= PoolState::current; }
inline constexpr bool is_empty_pool(PoolState s) { return s == PoolState::queued || s == PoolState::cached; }
inline constexpr bool is_partial(PoolState s) { return s >= PoolState::partial; }
inline constexpr int bucket_of(PoolState s) { return int(s) - int(PoolState::partial); }
inline constexpr PoolState partial_on(int bucket) { return PoolState(int(PoolState::partial) + bucket); }

inline constexpr uint32_t kNoPage = UINT32_MAX;  // end of a list of page indices

// A pool holds at most kMaxPoolBlocks blocks (SizeClasses::init leaves larger pools out) and spans at
// most 2^kMaxPoolOrder pages (normalize() sizes arenas so), so that both fit 16-bit counts.
inline constexpr uint32_t kMaxPoolBlocks = INT16_MAX;
inline constexpr unsigned kMaxPoolOrder = 15;

// One PoolMeta per OS page of the region, in an array of their own (Region::meta) so that purging a
// pool's pages loses nothing. The entry of a pool's first page describes the pool.
//
// Invariants of a pool in use (Heap::verify_pool checks them):
//   used + length(free list) + (capacity - carved) == capacity
//   state == full    => free list empty, carved == capacity, low_mark == capacity
//   state partial    => 0 < used < capacity, carved == capacity, low_mark == 1, on the bucket its
//                       state names; that bucket is at or above bucket_of(used) (a partial pool
//                       only loses blocks, and moves down when refill looks at it)
//   state == current => class.current == this pool, low_mark == 0 for a sticky class (its pool
//                       stays current when empty, until Heap::sweep), 1 otherwise
// Heap::free calls the slow path drained() exactly when used drops below low_mark, so the fast path
// needs one comparison to notice a full pool getting room and a pool emptying.
struct PoolMeta {
    Block* free;    // the pool's free list (heap-owned)
    uint32_t used;  // blocks in use; for a tail page, the number of pages back to the pool's first
    union {
        uint32_t low_mark;   // in use: see above
        uint32_t queued_ms;  // queued: when it joined the purge queue (OsMemory::now_ms, truncated)
    };
    uint32_t carved;  // blocks handed to the free list or out so far; the rest is untouched memory
    uint32_t prev;    // page index links of the list the pool is on (bucket, empty pools, purge
    uint32_t next;    //   queue or buddy free list), kNoPage at the ends
    uint8_t size_class;
    uint8_t order;  // the pool (or free buddy block) spans 2^order OS pages
    PoolState state;
    HeapId heap;  // owner while in use (current, full, partial); none otherwise
};
static_assert(sizeof(PoolMeta) <= 32, "the metadata array costs 32 bytes per OS page (0.8% at 4 KiB), or less");

}  // namespace shrinkpy::alloc
