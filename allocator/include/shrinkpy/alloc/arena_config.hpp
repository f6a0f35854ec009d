// What the arena allocator can be told (ArenaConfig, filled from the options table by the launcher
// and by shrinkpy.install_allocator()) and what it can tell (ArenaStats, for the exit report and
// shrinkpy.allocator_stats()). Vocabulary: allocator/src/arena_types.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shrinkpy::alloc {

inline constexpr size_t kKiB = size_t{1} << 10;
inline constexpr size_t kMiB = size_t{1} << 20;
inline constexpr size_t kGiB = size_t{1} << 30;

// The most address space the arena reserves: its metadata refers to blocks by 32-bit distances
// in 8-byte units (allocator/src/arena_types.hpp, PoolMeta), 32 GiB with the metadata array. Half of
// that: the overflow serves what the reservation cannot (heap.hpp), and a board has far less memory.
inline constexpr uint64_t kMaxReserveBytes = uint64_t{16} << 30;
// The least reservation, in arenas: normalize() raises reserve_bytes to it, and the region, which
// halves what it asks for when the address space is short, stops there.
inline constexpr size_t kMinReserveArenas = 16;

struct ArenaConfig {
    // Address space reserved once for every small and medium block (no memory until used); at most
    // kMaxReserveBytes.
    size_t reserve_bytes = sizeof(void*) > 4 ? 16 * kGiB : 1 * kGiB;
    // The slice of the reservation committed and decommitted at once; the largest pool.
    size_t arena_bytes = 1 * kMiB;
    // Requests above this get a mapping of their own, unmapped on free.
    size_t large_threshold = 64 * kKiB;
    // Empty pools kept resident for reuse (the hysteresis) unless the arena grows past its peak,
    // which a program reusing them does not (region.hpp: offset_growth). 256 KiB: the delayed purge
    // below keeps recently emptied pools anyway; at 1 MiB, `import json, re, collections, asyncio`
    // peaked 0.25 MiB higher and the spike workloads kept 0.6 MiB more, at the same speed.
    size_t retain_bytes = 256 * kKiB;
    // Empty pools beyond retain_bytes go back to the OS this long after they emptied, unless reused
    // first (a program that drops a structure and builds the next one reuses its pages instead of
    // faulting them in again); sooner when the arena would otherwise grow, or when a full garbage
    // collection finds them idle. 0: at once.
    uint32_t purge_delay_ms = 1000;
    // Under sustained demand a medium class's pools grow until they hold this many blocks.
    uint32_t pool_blocks = 8;
    // Cap on what the arena holds from the OS (pools and large mappings); 0 for none.
    uint64_t max_heap_bytes = 0;
};

// Makes `config` usable with `page_size`: powers of two where the structure needs them, thresholds
// inside the range the size classes cover. Returns false when something had to change.
bool normalize(ArenaConfig& config, size_t page_size);

inline constexpr int kMaxSizeClasses = 256;

// Where the arena's resident pages are (Arena::census, census.cpp): the pages holding at least a
// byte of a live block are what any allocator that does not move blocks must keep at this page
// size; the rest it could give back.
struct ArenaCensus {
    size_t page_size = 0;
    uint64_t live_pages = 0;          // resident pool pages holding (part of) a live block
    uint64_t empty_pages = 0;         // resident pool pages holding none: empty pools kept, holes
    uint64_t metadata_bytes = 0;      // resident bytes of the per-page metadata
    uint64_t large_bytes = 0;         // mappings of live large blocks
    uint64_t large_cached_bytes = 0;  // mappings of freed large blocks kept for reuse
};

struct ArenaClassStats {
    uint32_t block_size = 0;       // bytes
    uint32_t pool_bytes = 0;       // size of the class's next pool (it adapts to demand)
    uint64_t pools = 0;            // pools in use (both heaps)
    uint64_t pools_peak = 0;       // most pools in use at once (per heap, summed)
    uint64_t blocks_in_use = 0;    // live blocks
    uint64_t blocks_capacity = 0;  // blocks the pools in use can hold
};

// Units are bytes unless the name says otherwise. Invariants (checked by the tests):
//   committed_bytes == pool_bytes + queued_bytes + reserved_bytes + large_bytes + large_cached_bytes
//                   <= max_heap_bytes (when set)
//   in_use_bytes    == sum over classes of blocks_in_use * block_size + large_bytes
//   committed_peak_bytes >= committed_bytes
struct ArenaStats {
    size_t page_size = 0;
    size_t arena_bytes = 0;
    size_t reserve_bytes = 0;
    size_t large_threshold = 0;
    size_t retain_bytes = 0;
    uint64_t max_heap_bytes = 0;

    uint64_t committed_bytes = 0;       // held from the OS: pools in use, queued and reserved pools, large mappings
    uint64_t committed_peak_bytes = 0;  // highest committed_bytes seen
    uint64_t pool_bytes = 0;            // pools holding live blocks
    uint64_t queued_bytes = 0;          // empty pools still resident, waiting for reuse or purge
    uint64_t reserved_bytes = 0;        // fresh pools classes in demand hold in reserve (untouched)
    uint64_t in_use_bytes = 0;          // block bytes of live blocks (a request rounded up to its class)
    uint64_t large_blocks = 0;          // live large blocks
    uint64_t large_bytes = 0;           // their mappings
    uint64_t large_cached_bytes = 0;    // mappings of freed large blocks kept for reuse (the purge delay)
    uint64_t arenas_committed = 0;      // arenas accessible now
    uint64_t pools_created = 0;         // pools carved from free arena space (cumulative)
    uint64_t pools_reused = 0;          // pools taken back from the purge queue (cumulative)
    uint64_t pages_returned = 0;        // OS pages given back with MADV_DONTNEED (cumulative)
    uint64_t purge_calls = 0;           // ranges given back (one madvise each, or batched by process_madvise)
    uint64_t cap_failures = 0;          // requests refused because of max_heap_bytes
    uint64_t overflowed = 0;            // requests the region could not serve, served by the allocator before it

    // Share of what the arena holds that is not live blocks: class rounding excluded, pool tails,
    // partly used pools and queued pools included. 0 when nothing is held.
    double fragmentation() const {
        return committed_bytes == 0 ? 0.0 : 1.0 - double(in_use_bytes) / double(committed_bytes);
    }

    int class_count = 0;
    ArenaClassStats classes[kMaxSizeClasses];
};

}  // namespace shrinkpy::alloc
