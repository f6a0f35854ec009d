#include "size_classes.hpp"

#include <algorithm>

#include "checks.hpp"

namespace shrinkpy::alloc {
namespace {

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// CPython 3.11's dict key tables for 2^log2 slots (Objects/dictobject.c, new_keys_object).
constexpr size_t dict_keys_bytes(unsigned log2, size_t entry) {
    size_t index_bytes = log2 < 8 ? 1 : log2 < 16 ? 2 : 4;
    size_t usable = (size_t{2} << log2) / 3;
    return 32 + (index_bytes << log2) + entry * usable;
}
static_assert(dict_keys_bytes(3, 16) == 120 && dict_keys_bytes(5, 24) == 568 && dict_keys_bytes(10, 24) == 18448);

// Every block size up to `limit`, ascending; returns how many.
int class_sizes(size_t limit, uint32_t* out) {
    int n = 0;
    for (size_t size = kSmallStep; size <= kSmallMax; size += size < kFineSmallMax ? kSmallStep : kAlignment)
        out[n++] = uint32_t(size);
    for (size_t size = kSmallMax + kMediumStep; size <= kStepMax && size <= limit; size += kMediumStep)
        out[n++] = uint32_t(size);
    for (size_t base = kStepMax; base < limit; base *= 2) {
        for (unsigned step = 1; step <= kDoublingSteps; ++step) {
            size_t size = base + base / kDoublingSteps * step;
            if (size <= limit) out[n++] = uint32_t(size);
        }
    }
    for (unsigned log2 = 5; log2 < 20; ++log2) {
        for (size_t entry : {size_t{16}, size_t{24}}) {
            size_t size = round_up(dict_keys_bytes(log2, entry), kAlignment);
            if (size > kSmallMax && size <= limit) out[n++] = uint32_t(size);
        }
    }
    if (out[n - 1] < limit) out[n++] = uint32_t(limit);  // the threshold itself is the top class
    std::sort(out, out + n);
    return int(std::unique(out, out + n) - out);
}

}  // namespace

void SizeClasses::init(size_t page_size, unsigned arena_order, size_t large_threshold, uint32_t pool_blocks) {
    SHRINKPY_ALLOC_ASSERT(large_threshold >= kSmallMax && large_threshold <= kMaxLargeThreshold &&
                          large_threshold % kAlignment == 0 && arena_order <= kMaxPoolOrder);
    large_threshold_ = large_threshold;
    uint32_t sizes[512];
    count_ = class_sizes(large_threshold, sizes);
    SHRINKPY_ALLOC_ASSERT(count_ <= kMaxSizeClasses);
    for (int i = 0, cls = kSmallClasses; i < int(large_threshold / kAlignment); ++i) {
        if (i < int(kSmallMax / kAlignment)) continue;          // small: SizeClasses::small_index
        while (sizes[cls] < size_t(i + 1) * kAlignment) ++cls;  // the smallest class that holds (i+1)*16 bytes
        medium_[i] = uint8_t(cls);
    }
    for (int i = 0; i < count_; ++i) {
        ClassInfo& c = info_[i];
        c = ClassInfo{};
        c.size = sizes[i];
        int lo = -1, best = -1;
        double best_waste = 2.0;
        unsigned top = arena_order;  // the largest pool the class may have: at most kMaxPoolBlocks blocks
        while (top > 0 && (page_size << top) / c.size > kMaxPoolBlocks) --top;
        for (unsigned k = 0; k <= top; ++k) {
            size_t pool = page_size << k;
            c.capacity[k] = uint32_t(pool / c.size);
            if (c.capacity[k] == 0) continue;
            double waste = double(pool - size_t(c.capacity[k]) * c.size) / double(pool);
            if (lo < 0 && waste <= 1.0 / 8) lo = int(k);
            if (waste < best_waste) best_waste = waste, best = int(k);
        }
        SHRINKPY_ALLOC_ASSERT(best >= 0);  // normalize() keeps every class within half an arena
        c.order_lo = uint8_t(lo >= 0 ? lo : best);
        c.order_hi = uint8_t(top);
        for (unsigned k = c.order_lo; k <= top; ++k) {
            if (c.capacity[k] >= pool_blocks) {
                c.order_hi = uint8_t(k);
                break;
            }
        }
        c.sticky = (page_size << c.order_hi) <= kStickyBytes && c.capacity[c.order_lo] >= kStickyBlocks;
    }
}

bool normalize(ArenaConfig& config, size_t page_size) {
    ArenaConfig wanted = config;
    // An arena holds at least 16 pages (a 64 KiB-page kernel gets 1 MiB arenas by default).
    size_t arena = std::bit_ceil(config.arena_bytes < 16 * page_size ? 16 * page_size : config.arena_bytes);
    while ((arena / page_size) > (size_t{1} << kMaxPoolOrder)) arena /= 2;
    config.arena_bytes = arena;
    // The largest medium class must fit an arena twice.
    size_t largest = std::min(arena / 2, kMaxLargeThreshold);
    config.large_threshold = std::clamp(round_up(config.large_threshold, kAlignment), kSmallMax, largest);
    if (config.pool_blocks == 0) config.pool_blocks = 1;
    if (config.reserve_bytes > kMaxReserveBytes) config.reserve_bytes = size_t(kMaxReserveBytes);
    if (config.reserve_bytes < kMinReserveArenas * arena) config.reserve_bytes = kMinReserveArenas * arena;
    config.reserve_bytes -= config.reserve_bytes % arena;
    return config.arena_bytes == wanted.arena_bytes && config.large_threshold == wanted.large_threshold &&
           config.pool_blocks == wanted.pool_blocks && config.reserve_bytes == wanted.reserve_bytes;
}

}  // namespace shrinkpy::alloc
