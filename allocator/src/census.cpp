// Arena::census: which of the arena's resident pages hold live blocks. The answer bounds what any
// allocator that does not move blocks could give back at this page size: a page with a byte of a
// live block on it stays resident whatever the policy. The benchmarks (SHRINKPY_ARENA_CENSUS)
// print it beside the RSS a workload retains, to say how far from that bound the arena is.
//
// Residency comes from the kernel (mincore), liveness from the pools: a one-page pool (every small
// class's) is live when it has a block in use; for a larger one, the blocks carved so far less
// those on its free list, counted page by page (a block that straddles a page boundary counts on
// both pages). The work space is a mapping of its own, unmapped before
// returning, so that taking a census leaves no resident page behind: it runs inside gc.collect(),
// just before a benchmark reads the RSS.
#include <cstring>

#include "arena.hpp"

namespace shrinkpy::alloc {
namespace {

// Per arena page: the residency byte (mincore), and for pages of pools in use, their blocks and
// free blocks.
struct Scratch {
    unsigned char* resident;
    uint32_t* blocks;
    uint32_t* free;
};

}  // namespace

ArenaCensus Arena::census() {
    ArenaCensus c;
    size_t page = region_.page_size();
    c.page_size = page;
    uint32_t arena_pages = uint32_t(config_.arena_bytes / page);
    size_t scratch_bytes = (arena_pages * (1 + 2 * sizeof(uint32_t)) + page - 1) & ~(page - 1);
    void* memory = nullptr;
    if (os_->map(scratch_bytes, &memory) != 0) return c;
    Scratch s{static_cast<unsigned char*>(memory), nullptr, nullptr};
    s.blocks = reinterpret_cast<uint32_t*>(s.resident + ((arena_pages + 3) & ~3u));
    s.free = s.blocks + arena_pages;

    lock_raw();  // the RAW heap's free lists; the MEM/OBJ heap's are the caller's (the GIL)
    region_.lock();
    PoolMeta* meta = region_.meta();
    region_.for_each_committed_arena([&](uint32_t first, uint32_t pages) {
        char* start = region_.address_of(first);
        if (os_->resident(start, size_t(pages) * page, s.resident) != 0) return;
        std::memset(s.blocks, 0, pages * sizeof(uint32_t));
        std::memset(s.free, 0, pages * sizeof(uint32_t));
        for (uint32_t i = 0; i < pages;) {
            const PoolMeta& m = meta[first + i];
            uint32_t span =
                (in_use(m.state) || is_empty_pool(m.state) || m.state == PoolState::free) ? uint32_t{1} << m.order : 1;
            uint32_t used = in_use(m.state) ? blocks_used(m, classes_[m.size_class]) : 0;
            if (used > 0) {  // count blocks and free blocks on each of its pages
                if (span == 1) {
                    s.blocks[i] = 1;  // a one-page pool (every small class): live when any block is
                } else {
                    uint32_t size = classes_[m.size_class].size;
                    char* pool = region_.address_of(first + i);
                    auto pages_of = [&](size_t offset, auto&& count) {
                        for (size_t p = offset / page; p <= (offset + size - 1) / page; ++p) count(i + uint32_t(p));
                    };
                    uint32_t carved = used;  // + the free blocks (arena_types.hpp)
                    for (uint32_t f = m.free; f != kNoBlock; f = m.block_at(f)->next, ++carved) {
                        size_t offset = size_t(reinterpret_cast<const char*>(m.block_at(f)) - pool);
                        pages_of(offset, [&](uint32_t p) { ++s.free[p]; });
                    }
                    for (uint32_t b = 0; b < carved; ++b)
                        pages_of(size_t(b) * size, [&](uint32_t p) { ++s.blocks[p]; });
                }
            }
            i += span;
        }
        for (uint32_t i = 0; i < pages; ++i) {
            if (!(s.resident[i] & 1)) continue;
            if (s.blocks[i] > s.free[i])
                ++c.live_pages;
            else
                ++c.empty_pages;
        }
    });
    size_t meta_bytes = region_.metadata_committed();
    if (meta_bytes > 0) {
        size_t meta_pages = meta_bytes / page;
        for (size_t done = 0; done < meta_pages; done += arena_pages) {
            size_t n = meta_pages - done < arena_pages ? meta_pages - done : arena_pages;
            if (os_->resident(reinterpret_cast<char*>(meta) + done * page, n * page, s.resident) != 0) break;
            for (size_t i = 0; i < n; ++i) c.metadata_bytes += (s.resident[i] & 1) ? page : 0;
        }
    }
    region_.unlock();
    unlock_raw();
    c.large_bytes = large_.bytes();
    c.large_cached_bytes = region_.counters().large_cached_bytes;
    os_->unmap(memory, scratch_bytes);
    return c;
}

}  // namespace shrinkpy::alloc
