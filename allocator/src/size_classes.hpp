// The size classes and the pool sizes of each.
//
// Small classes are pymalloc's, 16 to 512 bytes 16 apart, and three more: 8, 24 and 40. A float
// takes 24 bytes, which pymalloc rounds to 32: a quarter of every float lost (and of every cell,
// 40, and bytes of up to 7, 33 to 40). Blocks of those three classes are 8-byte aligned (offsets in
// a page-aligned pool); every other block is 16-byte aligned, as under pymalloc.
//
// Why not 8 apart all the way (measured, one run: up to 6% lower peaks on the workloads that hold
// many strs, lists and tuples of 8 more than a multiple of 16): an object whose C type needs
// 16-byte alignment may have such a size. A heap subtype adds 8-byte slots (__dict__, __weakref__)
// to a 16-aligned base without rounding, and GCC stores into such objects with movaps: with classes
// 8 apart to 512, test_ctypes crashed (test_callbacks; ctypes' CDataObject holds a long double), as
// numpy's longdouble scalars would. Padding such subtypes' tp_basicsize to 16 as they are made (a
// wrapper of PyType_Type.tp_new, which class statements, type() and ctypes' metaclasses all reach)
// would cover heap subtypes, but not a static variable-size type with a 16-aligned header and
// 8-byte items, nor C code that puts a 16-aligned struct after 8 bytes of its own in one block; and
// only extension bases may be padded (a dict subclass's __basicsize__ and sys.getsizeof must not
// change), which takes dladdr, and a static build answers dladdr with itself. Up to 40 bytes no
// such object fits: a PyObject with a 16-aligned member takes 32 bytes (a size a multiple of 16, as
// every C type's is of its alignment), and a subtype that adds a slot also gets the 16-byte GC
// header (3.11 makes every class statement's type GC: Objects/typeobject.c, type_new_alloc). Medium
// classes, up to the large threshold, are
//   - 64 apart up to 4 KiB (576, 640, ..., 4096: at most 63 bytes of rounding, where Python's
//     strings, list arrays and dict tables that pymalloc hands to glibc malloc are most common);
//   - sixteen per doubling above (4352, 4608, ..., 8192, 8704, ...: at most 6.25%);
//   - plus the exact sizes of CPython 3.11's dict key tables (Objects/dictobject.c,
//     new_keys_object: 32 bytes of header, 2^n indices of 1, 2 or 4 bytes, 2^(n+1)/3 entries of 24
//     bytes, or 16 for str-only keys), which every dict with more than five keys allocates and
//     which would otherwise lose up to 6% to rounding.
// Every medium block size is a multiple of 16, CPython's ALIGNMENT on 64-bit (Objects/obmalloc.c).
// A small request's class is computed (small_index); a medium one's comes from a table indexed by
// (n - 1) / 16.
//
// Each class has a range of pool orders (a pool spans 2^order OS pages):
//   order_lo  the smallest pool with room for a block whose unusable tail is at most 1/8 of it,
//   order_hi  the smallest pool at or above it with room for pool_blocks blocks, but none with more
//             than kMaxPoolBlocks (the 8-byte class stops at 128 KiB pools: PoolMeta counts in 16 bits).
// A heap starts each class at order_lo and moves towards order_hi while the class keeps asking for
// new pools, back when its pools empty (Heap::next_pool, Heap::release). Small classes have
// order_lo == order_hi == 0 on every page size from 4 KiB up (a page holds eight 512-byte blocks),
// which keeps the unit of purge for small objects at one OS page. (8 KiB pools for the classes
// from 256 bytes were not even faster: bench_alloc's Lifo/100/256 315 -> 272 M/s, Fifo/100/256
// 313 -> 259, alternating runs on this EPYC, 2026-12-06.)
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "arena_types.hpp"
#include "shrinkpy/alloc/arena_config.hpp"

namespace shrinkpy::alloc {

inline constexpr size_t kSmallStep = 8;      // spacing of the small classes up to kFineSmallMax, the least alignment
inline constexpr size_t kFineSmallMax = 48;  // 8, 16, ..., 48, then 64, 80, ... (pymalloc's)
inline constexpr size_t kAlignment = 16;     // of every block whose size is a multiple of it
inline constexpr size_t kSmallMax = 512;
inline constexpr int kFineSmallClasses = int(kFineSmallMax / kSmallStep);
inline constexpr int kSmallClasses = kFineSmallClasses + int((kSmallMax - kFineSmallMax) / kAlignment);
inline constexpr size_t kMediumStep = 64;  // spacing of the medium classes up to kStepMax
inline constexpr size_t kStepMax = 4096;
inline constexpr unsigned kDoublingSteps = 16;  // classes per doubling above kStepMax
inline constexpr size_t kMaxLargeThreshold = kMiB;
inline constexpr uint32_t kStickyBlocks = 8;
inline constexpr size_t kStickyBytes = 16 * kKiB;

static_assert(kSmallClasses == 32 + 3, "pymalloc 3.11 has 32 size classes of 16 bytes on 64-bit");
static_assert(kSmallMax % kAlignment == 0 && kStepMax % kMediumStep == 0 && kMediumStep % kAlignment == 0);
static_assert(sizeof(Block) <= kSmallStep, "the smallest block holds a free block's links");

// What a block for a request of `n` bytes is aligned to (the rule above): 8 in the classes of 8, 24
// and 40 bytes, else 16.
inline constexpr size_t guaranteed_alignment(size_t n) {
    return n <= kFineSmallMax && (n == 0 || (n + kSmallStep - 1) / kSmallStep % 2 == 1) ? kSmallStep : kAlignment;
}

struct ClassInfo {
    uint32_t size = 0;  // block size, bytes
    uint8_t order_lo = 0;
    uint8_t order_hi = 0;
    // The class's current pool stays current when it empties (Heap::refill), so that allocating and
    // freeing one block at a time never leaves the fast path: for classes of small blocks in small
    // pools (at least kStickyBlocks blocks in at most kStickyBytes), whose empty current pools cost
    // little to keep. The others let theirs go at once.
    bool sticky = false;
    uint32_t capacity[kMaxPoolOrder + 1] = {};  // blocks in a pool of each order (0: none fit, or too many)
};

class SizeClasses {
public:
    // `arena_order`: log2 of OS pages per arena, the largest pool. `large_threshold`: a multiple of
    // kAlignment from kSmallMax to half an arena and kMaxLargeThreshold (normalize() sees to it).
    void init(size_t page_size, unsigned arena_order, size_t large_threshold, uint32_t pool_blocks);

    int count() const { return count_; }
    size_t large_threshold() const { return large_threshold_; }
    const ClassInfo& operator[](int i) const { return info_[i]; }

    // The class of a request of 1 to kSmallMax bytes, without a table: pymalloc's size index, and
    // below it the classes 8 apart (compiled to a conditional move).
    static int small_index(size_t n) {
        return n <= kFineSmallMax ? int((n - 1) / kSmallStep)
                                  : kFineSmallClasses + int((n - 1) / kAlignment) - int(kFineSmallMax / kAlignment);
    }
    // The class of a request of kSmallMax + 1 to large_threshold() bytes.
    int medium_index(size_t n) const { return medium_[(n - 1) / kAlignment]; }
    // The class of a request of 1 to large_threshold() bytes.
    int index(size_t n) const { return n <= kSmallMax ? small_index(n) : medium_index(n); }

private:
    int count_ = 0;
    size_t large_threshold_ = 0;
    ClassInfo info_[kMaxSizeClasses];
    uint8_t medium_[kMaxLargeThreshold / kAlignment];  // by (n - 1) / 16, for n > kSmallMax
};

}  // namespace shrinkpy::alloc
