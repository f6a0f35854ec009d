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
//   size class  a block size. Small: 16 to 512 bytes, 16 apart (pymalloc's), and 8, 24, 40. Medium: 64
//               apart up to 4 KiB, sixteen per doubling above, up to ArenaConfig::large_threshold
//               (size_classes.hpp).
//   heap        the size classes of one caller: one heap serves CPython's MEM and OBJ domains
//               (called with the GIL held: no lock), one serves RAW (any thread, behind a mutex).
//   metadata    16 bytes per OS page of the region (PoolMeta, below), in an array just below the
//               region, committed as arenas are: 0.4% of the arena's memory at 4 KiB pages.
//   purge queue empty pools still resident, most recently emptied first: up to
//               ArenaConfig::retain_bytes of them until the arena grows past its peak (the
//               hysteresis that keeps a loop that fills and empties a pool from returning and
//               refaulting the same pages every time), the rest for ArenaConfig::purge_delay_ms
//               (region.hpp).
// ====================================================================================================
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "shrinkpy/alloc/arena_config.hpp"

namespace shrinkpy::alloc {

// A free block. Blocks are at least 8 bytes (kSmallStep), so both words fit any block.
struct Block {
    uint32_t next;    // the next free block of the pool, as PoolMeta::ref_of names it; kNoBlock at the end
    uint32_t parked;  // in the first block of a queued pool only: the pool's free list (Region::park_free_list)
};

enum class HeapId : uint8_t { none = 0, gil = 1, raw = 2 };

enum class PoolState : uint8_t {
    unused,   // page not the first page of a pool or of a free buddy block (or never committed)
    tail,     // a page after the first of a pool in use; PoolMeta::back is the distance back
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

// Limits of the 16-byte layout below, each enforced where the value is made:
inline constexpr uint32_t kNoPage = (uint32_t{1} << 24) - 1;  // end of a list of page indices (24-bit links);
                                                              //   the region has fewer pages (Region::init)
inline constexpr uint32_t kNoBlock = 0;                // end of a free list: no block lies at its own pool's entry
inline constexpr uint32_t kMaxPoolBlocks = INT16_MAX;  // blocks per pool: PoolMeta::margin is 16-bit
                                                       //   (SizeClasses::init leaves larger pools out)
inline constexpr unsigned kMaxPoolOrder = 15;          // pool spans up to 2^15 pages: PoolMeta::back is 16-bit
// Block references are 32-bit distances in 8-byte units (blocks of 24 bytes are 8 apart) from an entry
// of the metadata array, which lies just below the region (Region::init): the array and the region
// together span at most 32 GiB.
// normalize() holds the reservation to kMaxReserveBytes, which leaves room for the array at any page
// size and keeps 4 KiB pages' indices below kNoPage.
inline constexpr unsigned kBlockRefShift = 3;
inline constexpr uint64_t kMaxRefSpan = uint64_t{1} << (32 + kBlockRefShift);
static_assert(kMaxReserveBytes + kMaxReserveBytes / 4096 * 16 < kMaxRefSpan && kMaxReserveBytes / 4096 < kNoPage);

// A page index in three bytes, for the links of PoolMeta: read and written as two plain loads and
// stores (16 and 8 bits), not as a read-modify-write of a word shared with other fields, which costs
// instructions on every list operation and stalls a load that follows a narrower store into it.
class PageLink {
public:
    operator uint32_t() const {
        uint16_t low;
        std::memcpy(&low, bytes_, sizeof low);
        return low | uint32_t(bytes_[2]) << 16;
    }
    PageLink& operator=(uint32_t page) {
        uint16_t low = uint16_t(page);
        std::memcpy(bytes_, &low, sizeof low);
        bytes_[2] = uint8_t(page >> 16);
        return *this;
    }

private:
    uint8_t bytes_[3];
};

// One PoolMeta per OS page of the region, in an array of their own (Region::meta) so that purging a
// pool's pages loses nothing. The entry of a pool's first page describes the pool. 16 bytes: 0.4% of
// a 4 KiB page (pymalloc's pool header is 48 bytes per 16 KiB pool, 0.3%).
//
// What is not stored, because it follows from what is:
//   carved    blocks handed to the free list or out so far, the rest untouched memory: blocks
//             [0, carved) are exactly the blocks in use and those on the free list, so
//             carved == used + length(free list). Carving happens when the free list is empty
//             (Heap::carve), where carved == used.
//   low_mark  Heap::free calls the slow path drained() exactly when used drops below the low mark,
//             so that the fast path needs one comparison to notice a full pool getting room and a
//             pool emptying. It follows from the state (heap.hpp, low_mark()): capacity for a full
//             pool, 1 for a partial one, 0 for the current pool of a sticky class (its pool stays
//             current when empty, until Heap::sweep), 1 for the current pool of any other class.
//             The pool stores margin == used - low_mark, and the fast path tests margin < 0.
//
// Invariants of a pool in use (Heap::verify_pool checks them):
//   used + length(free list) == carved <= capacity, every free block among the first carved
//   state == full    => free list empty, used == capacity (margin == 0)
//   state partial    => 0 < used < capacity, carved == capacity, on the bucket its state names;
//                       that bucket is at or above bucket_of(used) (a partial pool only loses
//                       blocks, and moves down when refill looks at it)
//   state == current => class.current == this pool
// An empty pool (cached or queued) has margin == 0 and no owner; a queued one keeps its free list in
// its first block (Block::parked), so that `free` can hold the time it was queued.
struct alignas(16) PoolMeta {
    union {
        uint32_t free;       // in use or cached: the first free block (ref_of), kNoBlock for none (heap-owned)
        uint32_t queued_ms;  // queued: when it joined the purge queue (OsMemory::now_ms, truncated)
    };
    union {
        int16_t margin;  // in use: blocks in use minus the low mark (above), -1 at the least
        uint16_t back;   // tail: the number of pages back to the pool's first
    };
    PoolState state;
    uint8_t size_class;  // of its blocks
    HeapId heap;         // owner while in use (current, full, partial); none otherwise
    uint8_t order;       // the pool (or free buddy block) spans 2^order OS pages
    PageLink prev;       // page index links of the list the pool is on (bucket, empty pools, purge
    PageLink next;       //   queue or buddy free list), kNoPage at the ends

    // A block of this pool by its reference, and the reference of one: its distance from this entry
    // in 8-byte units (blocks are at least 8-byte aligned, entries 16). The fast paths hold the entry
    // already, so decoding costs a shift and an add, and no base address to load.
    Block* block_at(uint32_t ref) const {
        return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(this) + (uintptr_t(ref) << kBlockRefShift));
    }
    uint32_t ref_of(const void* block) const {
        return uint32_t((reinterpret_cast<uintptr_t>(block) - reinterpret_cast<uintptr_t>(this)) >> kBlockRefShift);
    }

    // The first page of a free buddy block, of an empty pool being made, or of a spare pool.
    static PoolMeta first(PoolState state, unsigned order) {
        PoolMeta m{};
        m.state = state;
        m.order = uint8_t(order);
        m.prev = kNoPage;
        m.next = kNoPage;
        return m;
    }
    // A page after the first of a pool, `back` pages from it.
    static PoolMeta tail(uint32_t back) {
        PoolMeta m = first(PoolState::tail, 0);
        m.back = uint16_t(back);
        return m;
    }
};
static_assert(sizeof(PoolMeta) == 16, "the metadata array costs 16 bytes per OS page (0.4% at 4 KiB)");
static_assert(kMaxPoolBlocks <= INT16_MAX && (uint32_t{1} << kMaxPoolOrder) - 1 <= UINT16_MAX &&
              kMaxSizeClasses <= 256);

}  // namespace shrinkpy::alloc
