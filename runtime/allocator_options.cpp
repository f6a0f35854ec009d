#include "allocator_options.hpp"

#include <cstdint>

namespace shrinkpy::runtime {

alloc::AllocatorKind allocator_kind(const std::string& name) {
    if (name == "pymalloc") return alloc::AllocatorKind::pymalloc;
    if (name == "pymalloc-indirect") return alloc::AllocatorKind::pymalloc_indirect;
    if (name == "malloc") return alloc::AllocatorKind::malloc;
    if (name == "mimalloc") return alloc::AllocatorKind::mimalloc;
    return alloc::AllocatorKind::arena;
}

alloc::ArenaConfig arena_config(const Options& options) {
    alloc::ArenaConfig c;
    c.max_heap_bytes = options.number(OptionId::max_heap);
    c.reserve_bytes = size_t(options.number(OptionId::arena_reserve));
    c.arena_bytes = size_t(options.number(OptionId::arena_size));
    c.large_threshold = size_t(options.number(OptionId::arena_large));
    c.retain_bytes = size_t(options.number(OptionId::arena_retain));
    uint64_t blocks = options.number(OptionId::arena_pool_blocks);
    c.pool_blocks = uint32_t(blocks > UINT32_MAX ? UINT32_MAX : blocks);
    uint64_t delay = options.number(OptionId::arena_purge_delay);
    c.purge_delay_ms = uint32_t(delay > UINT32_MAX / 2 ? UINT32_MAX / 2 : delay);
    return c;
}

}  // namespace shrinkpy::runtime
