// Large blocks: each in a mapping of its own, unmapped on free, resized with mremap.
//
// A block that grows gets address space beyond its size (headroom: as much again, up to
// kMaxHeadroom), so that the next growths are a table update instead of system calls. Python grows
// its large buffers step by step (a list by 1/8 each time, a string writer by 1/4): without
// headroom each step is an mremap that fails in place, an mmap and an mremap that moves, each
// taking the process's mmap lock for writing, which a reader of /proc/PID/smaps (a monitoring
// agent, pyperf's --track-memory) holds for a millisecond at a time. service_spikes made 2536
// mremaps and ran 1.3x slower than under pymalloc while smaps was read every 10 ms. Headroom costs
// no memory: its pages are never touched (a block's pages beyond its size are never written:
// shrinking gives them back with the mapping's end, freeing trims the headroom before the mapping
// is cached). It is address space only, kept small where that is short (32-bit).
//
// Which pointers are large blocks of ours: a two-level radix table indexed by the page number of a
// block's first byte (tcmalloc's pagemap), holding the mapping's size. Looking a pointer up is two
// dependent loads and no lock, so a free of a block from the previous allocator (pymalloc's, say)
// costs little. The table covers 48-bit addresses (x86-64 and arm64 with 4-level page tables;
// every address on 32-bit systems);
// the root is reserved once, leaves (2^18 entries, 2 MiB) are mapped when first needed and kept.
// An entry holds the block's size and its mapping's, in pages (32 bits each: 16 TiB at 4 KiB).
//
// Thread safety: any thread. Entries are written before the block is returned to the caller and
// cleared before it is unmapped; a block is freed once by whoever owns it, so readers never race
// with the writer of the entry they read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shrinkpy/alloc/os_memory.hpp"

namespace shrinkpy::alloc {

class LargeBlocks {
public:
    int init(OsMemory& os);
    void destroy();

    // A mapping of `bytes` (a multiple of the page size), registered; nullptr when the OS refuses.
    void* map(size_t bytes);
    // Resizes a registered block of `old_bytes`: within its headroom without a system call, else
    // its mapping (moved with new headroom when it cannot grow in place); nullptr (and the old
    // block untouched) when the OS refuses.
    void* remap(void* p, size_t old_bytes, size_t new_bytes);
    // Unregisters and unmaps the block of `bytes` and its headroom.
    void unmap(void* p, size_t bytes);
    // Unregisters without unmapping `bytes` (the mapping goes to the region's LargeCache); its
    // headroom is unmapped.
    void forget(void* p, size_t bytes);
    // Registers a mapping taken back from that cache; false when no leaf can be mapped for it.
    bool adopt(void* p, size_t bytes);

    // The block's size (a multiple of the page size) when `p` is the start of one of our large
    // blocks, else 0.
    size_t size_of(const void* p) const { return size_t(entry_of(p) & kPagesMask) << page_shift_; }

    // Address space a growing block gets beyond its size, at most.
    static constexpr size_t kMaxHeadroom = sizeof(void*) > 4 ? size_t{1} << 30 : size_t{16} << 20;

    uint64_t blocks() const { return blocks_.load(std::memory_order_relaxed); }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

private:
    static constexpr unsigned kAddressBits = sizeof(void*) > 4 ? 48 : 32;
    static constexpr bool beyond_table(uintptr_t a) {
        if constexpr (kAddressBits < sizeof(uintptr_t) * 8) return (a >> kAddressBits) != 0;
        return false;
    }
    static constexpr unsigned kLeafBits = 18;
    static constexpr uintptr_t kLeafEntries = uintptr_t{1} << kLeafBits;
    static constexpr uint64_t kPagesMask = 0xffffffffu;
    struct Leaf {
        std::atomic<uint64_t> entries[kLeafEntries];  // mapping pages << 32 | block pages; 0: none
    };

    uint64_t entry_of(const void* p) const {
        uintptr_t a = reinterpret_cast<uintptr_t>(p);
        if ((a & page_mask_) != 0 || beyond_table(a)) return 0;
        uintptr_t page = a >> page_shift_;
        const Leaf* leaf = root_[page >> kLeafBits].load(std::memory_order_acquire);
        return leaf == nullptr ? 0 : leaf->entries[page & (kLeafEntries - 1)].load(std::memory_order_relaxed);
    }
    size_t mapped_of(const void* p) const { return size_t(entry_of(p) >> 32) << page_shift_; }
    // false when a leaf cannot be mapped
    bool record(void* p, size_t bytes, size_t mapped);
    void erase(void* p);

    OsMemory* os_ = nullptr;
    unsigned page_shift_ = 0;
    uintptr_t page_mask_ = 0;
    size_t root_entries_ = 0;
    std::atomic<Leaf*>* root_ = nullptr;
    std::atomic<uint64_t> blocks_{0};
    std::atomic<uint64_t> bytes_{0};
};

}  // namespace shrinkpy::alloc
