// Large blocks: each in a mapping of its own, unmapped on free, resized with mremap.
//
// Which pointers are large blocks of ours: a two-level radix table indexed by the page number of a
// block's first byte (tcmalloc's pagemap), holding the mapping's size. Looking a pointer up is two
// dependent loads and no lock, so a free of a block from the previous allocator (pymalloc's, say)
// costs little. The table covers 48-bit addresses (x86-64 and arm64 with 4-level page tables;
// every address on 32-bit systems);
// the root is reserved once, leaves (2^18 entries, 2 MiB) are mapped when first needed and kept.
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
    // Resizes a registered mapping; nullptr (and the old one untouched) when the OS refuses.
    void* remap(void* p, size_t old_bytes, size_t new_bytes);
    // Unregisters and unmaps.
    void unmap(void* p, size_t bytes);
    // Unregisters without unmapping (the mapping goes to the region's LargeCache).
    void forget(void* p, size_t bytes);
    // Registers a mapping taken back from that cache; false when no leaf can be mapped for it.
    bool adopt(void* p, size_t bytes);

    // The mapping size when `p` is the start of one of our large blocks, else 0.
    size_t size_of(const void* p) const {
        uintptr_t a = reinterpret_cast<uintptr_t>(p);
        if ((a & page_mask_) != 0 || beyond_table(a)) return 0;
        uintptr_t page = a >> page_shift_;
        const Leaf* leaf = root_[page >> kLeafBits].load(std::memory_order_acquire);
        return leaf == nullptr ? 0 : size_t(leaf->sizes[page & (kLeafEntries - 1)].load(std::memory_order_relaxed));
    }

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
    struct Leaf {
        std::atomic<uint64_t> sizes[kLeafEntries];
    };

    bool record(void* p, size_t bytes);  // false when a leaf cannot be mapped
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
