#include "large_blocks.hpp"

#include <bit>

#include "checks.hpp"

namespace shrinkpy::alloc {

int LargeBlocks::init(OsMemory& os) {
    os_ = &os;
    size_t page = os.page_size();
    page_shift_ = unsigned(std::countr_zero(page));
    page_mask_ = page - 1;
    root_entries_ = size_t{1} << (kAddressBits - page_shift_ - kLeafBits);
    size_t root_bytes = (root_entries_ * sizeof(root_[0]) + page - 1) & ~(page - 1);
    void* p = nullptr;
    int error = os.map(root_bytes, &p);
    if (error != 0) return error;
    root_ = static_cast<std::atomic<Leaf*>*>(p);  // zero-filled: every slot starts as nullptr
    return 0;
}

void LargeBlocks::destroy() {
    if (root_ == nullptr) return;
    size_t page = size_t{1} << page_shift_;
    for (size_t i = 0; i < root_entries_; ++i) {
        if (Leaf* leaf = root_[i].load(std::memory_order_relaxed))
            os_->unmap(leaf, (sizeof(Leaf) + page - 1) & ~(page - 1));
    }
    os_->unmap(root_, (root_entries_ * sizeof(root_[0]) + page - 1) & ~(page - 1));
    root_ = nullptr;
}

bool LargeBlocks::record(void* p, size_t bytes, size_t mapped) {
    uintptr_t page = reinterpret_cast<uintptr_t>(p) >> page_shift_;
    std::atomic<Leaf*>& slot = root_[page >> kLeafBits];
    Leaf* leaf = slot.load(std::memory_order_acquire);
    if (leaf == nullptr) {
        size_t leaf_bytes = (sizeof(Leaf) + page_mask_) & ~page_mask_;
        void* fresh = nullptr;
        if (os_->map(leaf_bytes, &fresh) != 0) return false;
        Leaf* expected = nullptr;
        if (slot.compare_exchange_strong(expected, static_cast<Leaf*>(fresh), std::memory_order_acq_rel)) {
            leaf = static_cast<Leaf*>(fresh);
        } else {  // another thread mapped it first
            os_->unmap(fresh, leaf_bytes);
            leaf = expected;
        }
    }
    uint64_t entry = uint64_t(mapped >> page_shift_) << 32 | uint64_t(bytes >> page_shift_);
    leaf->entries[page & (kLeafEntries - 1)].store(entry, std::memory_order_relaxed);
    return true;
}

void LargeBlocks::erase(void* p) {
    uintptr_t page = reinterpret_cast<uintptr_t>(p) >> page_shift_;
    Leaf* leaf = root_[page >> kLeafBits].load(std::memory_order_acquire);
    leaf->entries[page & (kLeafEntries - 1)].store(0, std::memory_order_relaxed);
}

void* LargeBlocks::map(size_t bytes) {
    void* p = nullptr;
    if (os_->map(bytes, &p) != 0) return nullptr;
    // Beyond the table (a kernel handing out 57-bit addresses unasked) or no leaf: not ours to keep.
    if (beyond_table(reinterpret_cast<uintptr_t>(p)) || !record(p, bytes, bytes)) {
        os_->unmap(p, bytes);
        return nullptr;
    }
    os_->name(p, bytes, "shrinkpy-large");
    blocks_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return p;
}

void* LargeBlocks::remap(void* p, size_t old_bytes, size_t new_bytes) {
    size_t mapped = mapped_of(p);
    if (new_bytes <= old_bytes) {  // shrinking: the end goes back with the headroom
        if (os_->remap(p, mapped, new_bytes, nullptr) != 0) return nullptr;
        record(p, new_bytes, new_bytes);
        bytes_.fetch_sub(old_bytes - new_bytes, std::memory_order_relaxed);
        return p;
    }
    if (new_bytes <= mapped) {  // into the headroom: same first page, same leaf
        record(p, new_bytes, mapped);
        bytes_.fetch_add(new_bytes - old_bytes, std::memory_order_relaxed);
        return p;
    }
    // With headroom, then (an OS that counts address space against memory, a 32-bit process short
    // of it) without: headroom must never turn a growth that fits into a MemoryError.
    size_t headroom = new_bytes < kMaxHeadroom ? new_bytes : kMaxHeadroom;
    size_t with_headroom = new_bytes + headroom >= new_bytes ? new_bytes + headroom : new_bytes;
    for (size_t new_mapped : {with_headroom, new_bytes}) {
        if (os_->remap(p, mapped, new_mapped, nullptr) == 0) {  // in place
            record(p, new_bytes, new_mapped);
            bytes_.fetch_add(new_bytes - old_bytes, std::memory_order_relaxed);
            return p;
        }
        // Move the pages onto a fresh mapping registered beforehand, so that nothing can fail after
        // the move (mremap's own MREMAP_MAYMOVE could land where the registry has no leaf yet).
        void* dest = map(new_mapped);
        if (dest == nullptr) continue;
        if (os_->remap(p, mapped, new_mapped, dest) != 0) {
            unmap(dest, new_mapped);
            continue;
        }
        record(dest, new_bytes, new_mapped);
        bytes_.fetch_sub(new_mapped - new_bytes, std::memory_order_relaxed);  // map() counted it all
        erase(p);
        blocks_.fetch_sub(1, std::memory_order_relaxed);
        bytes_.fetch_sub(old_bytes, std::memory_order_relaxed);
        return dest;
    }
    return nullptr;
}

void LargeBlocks::forget(void* p, size_t bytes) {
    size_t mapped = mapped_of(p);
    if (mapped > bytes) {
        int error = os_->unmap(static_cast<char*>(p) + bytes, mapped - bytes);
        SHRINKPY_ALLOC_ASSERT(error == 0);
        (void)error;
    }
    erase(p);
    blocks_.fetch_sub(1, std::memory_order_relaxed);
    bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

bool LargeBlocks::adopt(void* p, size_t bytes) {
    if (!record(p, bytes, bytes)) return false;
    blocks_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return true;
}

void LargeBlocks::unmap(void* p, size_t bytes) {
    size_t mapped = mapped_of(p);
    erase(p);
    int error = os_->unmap(p, mapped > bytes ? mapped : bytes);
    SHRINKPY_ALLOC_ASSERT(error == 0);
    (void)error;
    blocks_.fetch_sub(1, std::memory_order_relaxed);
    bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

}  // namespace shrinkpy::alloc
