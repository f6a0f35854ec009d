// The size classes and the pool sizes of each.
//
// Small classes are pymalloc's: 16 to 512 bytes, 16 apart, so that a program's small objects take
// exactly the room they take under pymalloc. Medium classes (above 512 bytes, up to the large
// threshold) are eight per doubling (576, 640, ..., 1024, 1152, ...): at most 12.5% rounding.
// Every block size is a multiple of 16, CPython's ALIGNMENT on 64-bit (Objects/obmalloc.c).
//
// Each class has a range of pool orders (a pool spans 2^order OS pages):
//   order_lo  the smallest pool with room for a block whose unusable tail is at most 1/8 of it,
//   order_hi  the smallest pool at or above it with room for pool_blocks blocks.
// A heap starts each class at order_lo and moves towards order_hi while the class keeps asking for
// new pools, back when its pools empty (Heap::refill, Heap::release). Small classes have
// order_lo == order_hi == 0 on every page size from 4 KiB up (a page holds eight 512-byte blocks),
// which keeps the unit of purge for small objects at one OS page.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "shrinkpy/alloc/arena_config.hpp"

namespace shrinkpy::alloc {

inline constexpr size_t kAlignment = 16;
inline constexpr size_t kSmallMax = 512;
inline constexpr int kSmallClasses = int(kSmallMax / kAlignment);
inline constexpr unsigned kMediumSteps = 8;  // classes per doubling above kSmallMax
inline constexpr unsigned kMaxPoolOrder = 15;

static_assert(kSmallClasses == 32, "pymalloc 3.11 has 32 size classes of 16 bytes on 64-bit");
static_assert(kSmallMax % kAlignment == 0 && std::has_single_bit(kSmallMax));

struct ClassInfo {
    uint32_t size = 0;  // block size, bytes
    uint8_t order_lo = 0;
    uint8_t order_hi = 0;
    uint32_t capacity[kMaxPoolOrder + 1] = {};  // blocks in a pool of each order (0: does not fit)
};

class SizeClasses {
public:
    // `arena_order`: log2 of OS pages per arena, the largest pool. `large_threshold` must be at
    // least kSmallMax and at most half an arena (normalize() in arena_config.hpp sees to it).
    void init(size_t page_size, unsigned arena_order, size_t large_threshold, uint32_t pool_blocks);

    int count() const { return count_; }
    size_t large_threshold() const { return large_threshold_; }
    const ClassInfo& operator[](int i) const { return info_[i]; }

    // The class of a request of 1 to kSmallMax bytes, without a table: pymalloc's size index.
    static int small_index(size_t n) { return int((n - 1) / kAlignment); }

    // The class of a request of 1 to large_threshold() bytes.
    static int index(size_t n) {
        if (n <= kSmallMax) return small_index(n);
        size_t m = n - 1;
        unsigned top = unsigned(std::bit_width(m)) - 1;  // >= 9
        unsigned step = unsigned(m >> (top - 3)) & (kMediumSteps - 1);
        return kSmallClasses + int((top - 9) * kMediumSteps + step);
    }

    // The block size of class `index` (the inverse of index()).
    static size_t size_of(int index) {
        if (index < kSmallClasses) return size_t(index + 1) * kAlignment;
        unsigned k = unsigned(index - kSmallClasses);
        unsigned top = 9 + k / kMediumSteps;
        return size_t(kMediumSteps + k % kMediumSteps + 1) << (top - 3);
    }

private:
    int count_ = 0;
    size_t large_threshold_ = 0;
    ClassInfo info_[kMaxSizeClasses];
};

}  // namespace shrinkpy::alloc
