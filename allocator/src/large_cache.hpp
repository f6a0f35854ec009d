// Large mappings freed lately, kept for the next large request instead of unmapped at once, so that
// a program that frees a large buffer and makes another (a frame after a frame, an array after an
// array, a list or a string rebuilt per batch) reuses resident pages instead of faulting in fresh
// ones: what glibc's dynamic mmap threshold does for pymalloc's large requests.
//
// A request smaller than a cached mapping takes its front and leaves the rest cached, so that a
// frame freed as a whole serves the next frame's smaller buffers and then, freed again, the frame.
//
// They follow the purge queue's rules (region.hpp): back to the OS (munmap) purge_delay_ms after
// they were freed unless reused, sooner when the arena grows elsewhere or the program calls
// gc.collect(); and at most kSlots of them, the oldest unmapped first. No lock of its own: the
// region's mutex guards it. Every cached mapping stays charged to the CommitLedger.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shrinkpy::alloc {

struct CachedMapping {
    void* start = nullptr;
    size_t bytes = 0;       // a multiple of the page size
    uint32_t freed_ms = 0;  // OsMemory::now_ms when it was freed, truncated
};

class LargeCache {
public:
    static constexpr int kSlots = 16;

    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == kSlots; }
    uint64_t bytes() const { return bytes_; }
    // Appends the most recently freed mapping (the cache is not full).
    void add(const CachedMapping& m);
    // The mapping that serves a request of `bytes` (a multiple of the page size) best: the front
    // `bytes` of the smallest one at least as large (the rest of it stays cached, a mapping of its
    // own: munmap and mremap work on any page range), else the largest smaller one, to be grown.
    // False when the cache is empty. A remainder smaller than `keep_at_least` is not kept: it goes
    // to *dropped (bytes 0 when none), for the caller to unmap.
    bool take(size_t bytes, size_t keep_at_least, CachedMapping* out, CachedMapping* dropped);
    // The longest cached mapping; the cache is not empty.
    const CachedMapping& oldest() const { return slots_[0]; }
    CachedMapping pop_oldest();
    // The last `bytes` (a multiple of the page size, less than its size) of the longest cached
    // mapping, which stays cached shorter.
    CachedMapping cut_oldest(size_t bytes);

private:
    void remove(int i);

    CachedMapping slots_[kSlots];  // oldest first
    int count_ = 0;
    uint64_t bytes_ = 0;  // sum of their sizes
};

}  // namespace shrinkpy::alloc
