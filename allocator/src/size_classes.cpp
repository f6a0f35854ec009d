#include "size_classes.hpp"

#include "checks.hpp"

namespace shrinkpy::alloc {

void SizeClasses::init(size_t page_size, unsigned arena_order, size_t large_threshold, uint32_t pool_blocks) {
    SHRINKPY_ALLOC_ASSERT(large_threshold >= kSmallMax && arena_order <= kMaxPoolOrder);
    large_threshold_ = large_threshold;
    count_ = index(large_threshold) + 1;
    SHRINKPY_ALLOC_ASSERT(count_ <= kMaxSizeClasses);
    for (int i = 0; i < count_; ++i) {
        ClassInfo& c = info_[i];
        c = ClassInfo{};
        c.size = uint32_t(size_of(i));
        int lo = -1, best = -1;
        double best_waste = 2.0;
        for (unsigned k = 0; k <= arena_order; ++k) {
            size_t pool = page_size << k;
            c.capacity[k] = uint32_t(pool / c.size);
            if (c.capacity[k] == 0) continue;
            double waste = double(pool - size_t(c.capacity[k]) * c.size) / double(pool);
            if (lo < 0 && waste <= 1.0 / 8) lo = int(k);
            if (waste < best_waste) best_waste = waste, best = int(k);
        }
        SHRINKPY_ALLOC_ASSERT(best >= 0);  // normalize() keeps every class within half an arena
        c.order_lo = uint8_t(lo >= 0 ? lo : best);
        c.order_hi = uint8_t(arena_order);
        for (unsigned k = c.order_lo; k <= arena_order; ++k) {
            if (c.capacity[k] >= pool_blocks) {
                c.order_hi = uint8_t(k);
                break;
            }
        }
    }
}

bool normalize(ArenaConfig& config, size_t page_size) {
    ArenaConfig wanted = config;
    // An arena holds at least 16 pages (a 64 KiB-page kernel gets 1 MiB arenas by default).
    size_t arena = std::bit_ceil(config.arena_bytes < 16 * page_size ? 16 * page_size : config.arena_bytes);
    while ((arena / page_size) > (size_t{1} << kMaxPoolOrder)) arena /= 2;
    config.arena_bytes = arena;
    // The largest medium class must fit an arena twice; 1 MiB at most keeps kMaxSizeClasses.
    size_t largest = arena / 2 < kMiB ? arena / 2 : kMiB;
    if (config.large_threshold < kSmallMax) config.large_threshold = kSmallMax;
    if (config.large_threshold > largest) config.large_threshold = largest;
    config.large_threshold = SizeClasses::size_of(SizeClasses::index(config.large_threshold));
    if (config.large_threshold > largest) config.large_threshold = largest;
    if (config.pool_blocks == 0) config.pool_blocks = 1;
    if (config.reserve_bytes < 4 * arena) config.reserve_bytes = 4 * arena;
    config.reserve_bytes -= config.reserve_bytes % arena;
    return config.arena_bytes == wanted.arena_bytes && config.large_threshold == wanted.large_threshold &&
           config.pool_blocks == wanted.pool_blocks && config.reserve_bytes == wanted.reserve_bytes;
}

}  // namespace shrinkpy::alloc
