// The arena allocator's structure and policies, on the fake OS layer with 4, 16 and 64 KiB pages:
// size classes, pools, the purge queue's hysteresis, fullest-first refill, pool sizes that follow
// demand, large blocks, realloc, ownership, the heap cap and the statistics. Every test ends with
// the whole-structure validators (Arena::verify) and the fake's contract checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "arena.hpp"
#include "fake_os.hpp"

namespace shrinkpy::alloc {
namespace {

using testing::FakeOsMemory;

ArenaConfig small_config() {
    ArenaConfig c;
    c.reserve_bytes = 256 * kMiB;
    // The purge tests' margins (the classes' current pools, one growth batch) are sized for a 1 MiB
    // allowance, the default before the delayed purge made a smaller one enough.
    c.retain_bytes = 1 * kMiB;
    return c;
}

class ArenaTest : public ::testing::TestWithParam<size_t> {
protected:
    void SetUp() override { make(small_config()); }
    void TearDown() override {
        if (arena_ != nullptr) {
            const char* problem = arena_->verify();
            EXPECT_EQ(problem, nullptr) << problem;
            Arena::destroy(arena_);
        }
        EXPECT_TRUE(os_->violations().empty()) << os_->violations().front();
    }

    void make(const ArenaConfig& config) {
        if (arena_ != nullptr) Arena::destroy(arena_);
        os_ = std::make_unique<FakeOsMemory>(GetParam());
        int error = 0;
        arena_ = Arena::create(*os_, config, &error);
        ASSERT_NE(arena_, nullptr) << error;
    }

    size_t page() const { return GetParam(); }
    void* m(size_t n) { return arena_->malloc(HeapId::gil, n); }
    void f(void* p) { ASSERT_TRUE(arena_->free(HeapId::gil, p)); }
    // Time passes by the purge delay, and the region purges what is due (as its thread would).
    void wait_out_the_delay() {
        os_->advance_ms(arena_->config().purge_delay_ms);
        EXPECT_EQ(arena_->region().purge_due(), Region::kNothingDue);
    }

    std::unique_ptr<FakeOsMemory> os_;
    Arena* arena_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(PageSizes, ArenaTest, ::testing::Values(4 * kKiB, 16 * kKiB, 64 * kKiB),
                         [](const auto& info) { return std::to_string(info.param / kKiB) + "KiB"; });

// ---- size classes ----------------------------------------------------------------------------------

SizeClasses& classes_for(size_t page, size_t threshold) {
    static SizeClasses classes;  // 64 KiB of lookup table: not on the stack
    ArenaConfig config;
    config.large_threshold = threshold;
    config.arena_bytes = 4 * kMiB;
    normalize(config, page);
    classes.init(page, unsigned(__builtin_ctzll(config.arena_bytes / page)), config.large_threshold, 8);
    return classes;
}

TEST(SizeClasses, SmallClassesArePymallocsAndEight24And40) {
    const SizeClasses& classes = classes_for(4096, 64 * kKiB);
    for (size_t n = 1; n <= 512; ++n) {
        size_t size = n <= 48 ? (n + 7) / 8 * 8 : (n + 15) / 16 * 16;
        EXPECT_EQ(classes[classes.index(n)].size, size) << n;
        EXPECT_EQ(guaranteed_alignment(n), size % 16 == 0 ? 16u : 8u) << n;
    }
    EXPECT_EQ(classes[classes.index(24)].size, 24u);  // a float
    EXPECT_EQ(classes[classes.index(56)].size, 64u);  // not 56: a subtype of a 16-aligned type may have that size
    EXPECT_EQ(guaranteed_alignment(0), 8u);           // served as 1 byte
}

TEST(SizeClasses, MediumClassesRoundUpBy64BytesThenBySixteenthsOfADoubling) {
    const SizeClasses& classes = classes_for(4096, kMiB);
    for (size_t n = 513; n <= kMiB; n += (n < 20000 ? 1 : 61)) {
        int i = classes.index(n);
        size_t size = classes[i].size;
        ASSERT_GE(size, n);
        ASSERT_LT(classes[i - 1].size, n);  // the smallest class that fits
        ASSERT_EQ(size % kAlignment, 0u);
        ASSERT_LE(size - n, n <= 4096 ? 63 : n / 16);
    }
    EXPECT_EQ(classes[classes.index(4097)].size, 4352u);
    EXPECT_EQ(classes[classes.count() - 1].size, kMiB);
    EXPECT_LE(classes.count(), kMaxSizeClasses);
}

TEST(SizeClasses, CPythonDictTablesFitExactly) {
    const SizeClasses& classes = classes_for(4096, 64 * kKiB);
    // 3.11 dict key tables of 256, 512, 1024 and 2048 slots (general and str-only keys).
    for (size_t n : {4624u, 9240u, 18448u, 36888u, 3264u, 6512u, 12992u, 25968u, 51904u}) {
        EXPECT_LT(classes[classes.index(n)].size - n, 16u) << n;
    }
}

TEST(SizeClasses, TheThresholdIsTheTopClass) {
    const SizeClasses& classes = classes_for(4096, 100000);
    EXPECT_EQ(classes.large_threshold(), 100000u);
    EXPECT_EQ(classes[classes.index(100000)].size, 100000u);
}

TEST(SizeClasses, PoolOrdersFitTheirBlocksOnEveryPageSize) {
    for (size_t page : {4 * kKiB, 16 * kKiB, 64 * kKiB}) {
        ArenaConfig config;
        config.large_threshold = 512 * kKiB;
        normalize(config, page);
        unsigned arena_order = unsigned(__builtin_ctzll(config.arena_bytes / page));
        static SizeClasses classes;
        classes.init(page, arena_order, config.large_threshold, 8);
        for (int i = 0; i < classes.count(); ++i) {
            const ClassInfo& c = classes[i];
            ASSERT_LE(c.order_lo, c.order_hi);
            ASSERT_GE(c.capacity[c.order_lo], 1u) << c.size;
            if (i < kSmallClasses) {  // one OS page: the unit of purge for small objects
                ASSERT_EQ(c.order_lo, 0);
                ASSERT_EQ(c.order_hi, 0);
            }
            ASSERT_TRUE(c.capacity[c.order_hi] >= 8 || c.order_hi == arena_order);
        }
    }
}

// PoolMeta counts a pool's blocks in 16 bits: however large a pool demand asks for, no class gets
// one of more than kMaxPoolBlocks blocks, and every class keeps an order its blocks fit.
TEST(SizeClasses, NoPoolHoldsMoreBlocksThanItsMetadataCounts) {
    for (size_t page : {4 * kKiB, 16 * kKiB, 64 * kKiB}) {
        ArenaConfig config;
        config.arena_bytes = 4 * kMiB;
        config.large_threshold = kMiB;
        normalize(config, page);
        unsigned arena_order = unsigned(__builtin_ctzll(config.arena_bytes / page));
        static SizeClasses classes;
        classes.init(page, arena_order, config.large_threshold, UINT32_MAX);
        for (int i = 0; i < classes.count(); ++i) {
            const ClassInfo& c = classes[i];
            ASSERT_LE(c.order_lo, c.order_hi) << c.size;
            ASSERT_GE(c.capacity[c.order_hi], 1u) << c.size;
            for (unsigned k = 0; k <= kMaxPoolOrder; ++k) ASSERT_LE(c.capacity[k], kMaxPoolBlocks) << c.size;
            // The largest pool that is allowed: an arena, or the next order up holds too many.
            ASSERT_TRUE(c.order_hi == arena_order || (page << (c.order_hi + 1)) / c.size > kMaxPoolBlocks) << c.size;
        }
        EXPECT_EQ(classes[0].capacity[classes[0].order_hi], kMaxPoolBlocks / 2 + 1);  // 16-byte blocks: 256 KiB
    }
}

TEST(ArenaConfigTest, NormalizeFixesWhatCannotWork) {
    ArenaConfig c;
    c.arena_bytes = 3 * kMiB;
    c.large_threshold = 100;
    c.pool_blocks = 0;
    EXPECT_FALSE(normalize(c, 4096));
    EXPECT_EQ(c.arena_bytes, 4 * kMiB);
    EXPECT_EQ(c.large_threshold, kSmallMax);
    EXPECT_EQ(c.pool_blocks, 1u);
    ArenaConfig d;
    EXPECT_TRUE(normalize(d, 4096));
    if constexpr (sizeof(size_t) > 4) {  // block references reach 32 GiB (PoolMeta)
        ArenaConfig big;
        big.reserve_bytes = size_t{64} << 30;
        EXPECT_FALSE(normalize(big, 4096));
        EXPECT_EQ(big.reserve_bytes, kMaxReserveBytes);
    }
    ArenaConfig e;  // 64 KiB pages: arenas of at least 16 pages
    e.arena_bytes = 64 * kKiB;
    normalize(e, 64 * kKiB);
    EXPECT_EQ(e.arena_bytes, kMiB);
}

TEST(ArenaConfigTest, UnderAnAddressSpaceLimitTheReservationTakesAtMostHalfOfWhatIsLeft) {
    ArenaConfig c;  // 16 GiB wanted
    FakeOsMemory os(4096);
    os.set_address_space_left(100 * kMiB);
    int error = 0;
    Arena* arena = Arena::create(os, c, &error);
    ASSERT_NE(arena, nullptr) << error;
    EXPECT_EQ(arena->config().reserve_bytes, 32 * kMiB);  // halved from 16 GiB until it fits 50 MiB
    Arena::destroy(arena);
    os.set_address_space_left(20 * kMiB);  // 16 arenas do not fit in 10 MiB
    EXPECT_EQ(Arena::create(os, c, &error), nullptr);
    EXPECT_EQ(error, ENOMEM);
}

TEST(ArenaConfigTest, ATinyReservationIsRaisedToWhatTheRegionCanTake) {
    ArenaConfig c;
    c.reserve_bytes = kKiB;
    EXPECT_FALSE(normalize(c, 4096));
    EXPECT_EQ(c.reserve_bytes, kMinReserveArenas * c.arena_bytes);
    FakeOsMemory os(4096);
    int error = 0;
    Arena* arena = Arena::create(os, c, &error);
    ASSERT_NE(arena, nullptr) << error;
    void* p = arena->malloc(HeapId::gil, 100);
    EXPECT_NE(p, nullptr);
    EXPECT_TRUE(arena->free(HeapId::gil, p));
    EXPECT_EQ(arena->verify(), nullptr);
    Arena::destroy(arena);
}

// ---- blocks ----------------------------------------------------------------------------------------

TEST_P(ArenaTest, BlocksAreAlignedDistinctWritableAndBigEnough) {
    std::vector<std::pair<char*, size_t>> blocks;
    for (size_t n = 0; n <= 3 * arena_->config().large_threshold; n += (n < 1100 ? 1 : 997)) {
        char* p = static_cast<char*>(m(n));
        ASSERT_NE(p, nullptr);
        ASSERT_EQ(uintptr_t(p) % guaranteed_alignment(n), 0u) << n;
        ASSERT_GE(arena_->block_size(p), std::max<size_t>(n, 1));
        std::memset(p, int(n & 0xff), n);
        blocks.emplace_back(p, n);
    }
    std::sort(blocks.begin(), blocks.end());
    for (size_t i = 1; i < blocks.size(); ++i) {
        ASSERT_LE(blocks[i - 1].first + blocks[i - 1].second, blocks[i].first);
    }
    for (auto& [p, n] : blocks) {
        for (size_t i = 0; i < n; i += 61) ASSERT_EQ(p[i], char(n & 0xff));
        f(p);
    }
    ArenaStats s = arena_->stats();
    EXPECT_EQ(s.in_use_bytes, 0u);
    EXPECT_EQ(s.large_blocks, 0u);
}

TEST_P(ArenaTest, CallocZeroesReusedBlocks) {
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; ++i) {
        void* p = m(200);
        std::memset(p, 0xab, 200);
        blocks.push_back(p);
    }
    for (void* p : blocks) f(p);
    for (int i = 0; i < 1000; ++i) {
        auto* p = static_cast<unsigned char*>(arena_->calloc(HeapId::gil, 10, 20));
        ASSERT_TRUE(std::all_of(p, p + 200, [](unsigned char c) { return c == 0; }));
        blocks[i] = p;
    }
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->calloc(HeapId::gil, SIZE_MAX / 2, 3), nullptr);  // overflow
}

TEST_P(ArenaTest, ForeignPointersAreNotTheArenas) {
    void* mine = m(100);
    void* large = m(4 * arena_->config().large_threshold);
    void* theirs = std::malloc(100);
    alignas(64) static char program_data[4096];
    EXPECT_TRUE(arena_->owns(mine));
    EXPECT_TRUE(arena_->owns(large));
    EXPECT_FALSE(arena_->owns(theirs));
    EXPECT_FALSE(arena_->owns(program_data));
    EXPECT_EQ(arena_->block_size(theirs), 0u);
    EXPECT_FALSE(arena_->free(HeapId::gil, theirs));
    EXPECT_FALSE(arena_->free(HeapId::raw, theirs));
    EXPECT_TRUE(arena_->free(HeapId::gil, nullptr));
    std::free(theirs);
    f(mine);
    f(large);
}

// ---- purge and hysteresis ----------------------------------------------------------------------------

TEST_P(ArenaTest, FreedPoolsGoBackToTheOsBeyondTheRetainedBytes) {
    for (uint32_t delay : {0u, 1000u}) {  // at once, and after the purge delay
        ArenaConfig c = small_config();
        c.purge_delay_ms = delay;
        make(c);
        std::vector<void*> blocks;
        for (int i = 0; i < 200000; ++i) blocks.push_back(m(16 + (i % 8) * 16));
        ArenaStats full = arena_->stats();
        EXPECT_GT(full.committed_bytes, 200000u * 16);
        for (void* p : blocks) f(p);
        if (delay > 0) {  // kept for reuse until the delay is over
            EXPECT_EQ(arena_->stats().pages_returned, 0u);
            os_->advance_ms(delay - 1);
            EXPECT_EQ(arena_->region().purge_due(), 1u);
            EXPECT_EQ(arena_->stats().pages_returned, 0u);
            wait_out_the_delay();
        }
        ArenaStats after = arena_->stats();
        EXPECT_EQ(after.in_use_bytes, 0u);
        EXPECT_LE(after.queued_bytes, arena_->config().retain_bytes);
        // What is left: the queue, and the 8 classes' current pools, which stay current when empty.
        EXPECT_LE(after.pool_bytes, 8 * page());
        EXPECT_EQ(after.committed_bytes, after.queued_bytes + after.pool_bytes + after.reserved_bytes);
        // Everything that was touched went back but for the retained bytes (spares never were touched).
        uint64_t touched = full.committed_bytes - full.reserved_bytes;
        EXPECT_GE(after.pages_returned * page(), touched - arena_->config().retain_bytes);
        EXPECT_GE(os_->counts().purged_bytes, touched - arena_->config().retain_bytes);
        // Purges come in batches of neighbouring pools, not one call per pool.
        EXPECT_LT(after.purge_calls * (page() == 4096 ? 4 : 1), after.pages_returned);
        // Whole arenas went back to no-access, and their metadata pages to the OS.
        EXPECT_GT(os_->counts().decommits, 0u);
        if (page() == 4096) {  // 4 KiB of metadata per arena; larger pages hold many arenas' metadata
            EXPECT_GT(os_->counts().purged_bytes, after.pages_returned * page());
        }
    }
}

// A program that drops a structure and builds another like it before the delay is over reuses the
// resident pages: no purge, no new commit, no page touched for the first time.
TEST_P(ArenaTest, PagesDroppedAreReusedBeforeTheDelayIsOver) {
    std::vector<void*> blocks;
    auto build = [&] {
        for (int i = 0; i < 100000; ++i) blocks.push_back(m(32 + (i % 4) * 16));
    };
    build();
    for (void* p : blocks) f(p);
    blocks.clear();
    ArenaStats dropped = arena_->stats();
    EXPECT_GT(dropped.queued_bytes, arena_->config().retain_bytes);
    EXPECT_EQ(dropped.pages_returned, 0u);
    uint64_t commits = os_->counts().commits;
    os_->advance_ms(arena_->config().purge_delay_ms / 2);
    build();
    ArenaStats rebuilt = arena_->stats();
    EXPECT_EQ(rebuilt.pages_returned, 0u);
    EXPECT_EQ(os_->counts().commits, commits);
    EXPECT_LE(rebuilt.committed_peak_bytes, dropped.committed_peak_bytes);
    EXPECT_GT(rebuilt.pools_reused, dropped.pools_reused);
    for (void* p : blocks) f(p);
    wait_out_the_delay();
    EXPECT_LE(arena_->stats().queued_bytes, arena_->config().retain_bytes);
}

// Pages kept for reuse never raise the peak, the retained ones included: when the arena grows instead
// of reusing them (here: large blocks, which never come from pools), as much of the queue goes back.
TEST_P(ArenaTest, GrowthElsewhereGivesTheQueueBack) {
    std::vector<void*> blocks;
    for (int i = 0; i < 100000; ++i) blocks.push_back(m(48));
    for (void* p : blocks) f(p);
    ArenaStats dropped = arena_->stats();
    uint64_t resident = dropped.committed_bytes - dropped.reserved_bytes;
    ASSERT_GT(dropped.queued_bytes, Region::queue_allowance(arena_->config().retain_bytes) + 2 * Region::kGrowthBatch);
    std::vector<void*> large;
    size_t large_bytes = 4 * arena_->config().large_threshold;
    uint64_t grown = 0;
    for (; grown + large_bytes <= dropped.queued_bytes; grown += large_bytes) {
        large.push_back(m(large_bytes - 1));
        ArenaStats s = arena_->stats();
        // Resident memory: what it was, give or take one batch of owed growth and one block.
        EXPECT_LE(s.committed_bytes - s.reserved_bytes, resident + Region::kGrowthBatch + large_bytes);
    }
    EXPECT_LE(arena_->stats().queued_bytes, dropped.queued_bytes - grown + Region::kGrowthBatch);
    // Growing on, the queue's retained bytes go too; the heaps keep their own few empty pools.
    size_t retain = arena_->config().retain_bytes;
    uint64_t heaps_keep = Region::heap_allowance(HeapId::gil, retain) + Region::heap_allowance(HeapId::raw, retain);
    for (; arena_->stats().queued_bytes > heaps_keep && grown <= dropped.committed_peak_bytes; grown += large_bytes) {
        large.push_back(m(large_bytes - 1));
    }
    EXPECT_LE(arena_->stats().queued_bytes, heaps_keep);
    EXPECT_GT(arena_->stats().pages_returned, 0u);
    for (void* p : large) f(p);
}

// Another allocator in the process growing (here: the fake's resident memory, as /proc says it) while
// pools wait for their delay: what passes the process's peak goes back from the queue, at the purge
// thread's next look; growth below the peak leaves the queue alone.
TEST_P(ArenaTest, GrowthOfTheWholeProcessGivesTheQueueBack) {
    std::vector<void*> blocks;
    for (int i = 0; i < 100000; ++i) blocks.push_back(m(48));
    for (void* p : blocks) f(p);
    uint64_t queued = arena_->stats().queued_bytes;
    ASSERT_GT(queued, 4 * Region::kGrowthBatch);
    uint64_t peak = 100 * kMiB;  // the process's peak: with the blocks, before they were freed
    auto look = [&](uint64_t rss) {
        os_->set_process_resident(rss, peak > rss ? peak : rss);
        arena_->region().offset_process_growth();
    };
    look(peak - 2 * Region::kGrowthBatch);  // the other allocator grows, still below the peak
    EXPECT_EQ(arena_->stats().queued_bytes, queued);
    look(peak + 3 * Region::kGrowthBatch);  // past it: as much goes back
    uint64_t after = arena_->stats().queued_bytes;
    EXPECT_LE(after, queued - 3 * Region::kGrowthBatch);
    EXPECT_GE(after, queued - 4 * Region::kGrowthBatch);
    EXPECT_GT(arena_->stats().pages_returned, 0u);
    // Unknown resident memory (no /proc): nothing happens.
    os_->set_process_resident(0, 0);
    arena_->region().offset_process_growth();
    EXPECT_EQ(arena_->stats().queued_bytes, after);
}

// Past the peak, a cached large mapping gives back its end, as much as the growth needs; its front
// stays cached and still serves a large request.
TEST_P(ArenaTest, GrowthPastThePeakCutsCachedMappingsFromTheirEnd) {
    size_t big = 64 * arena_->config().large_threshold;
    void* p = m(big);
    f(p);
    ArenaStats cached = arena_->stats();
    ASSERT_EQ(cached.large_cached_bytes, big);
    std::vector<void*> blocks;
    for (size_t i = 0; i < big / 4 / 64; ++i) blocks.push_back(m(64));  // a quarter of it, in pools
    ArenaStats grown = arena_->stats();
    EXPECT_GT(grown.large_cached_bytes, big / 2);
    EXPECT_LT(grown.large_cached_bytes, big - big / 8);
    EXPECT_LE(grown.committed_bytes, cached.committed_peak_bytes + Region::kGrowthBatch);
    EXPECT_EQ(m(grown.large_cached_bytes), p);  // the front, still cached
    for (void* b : blocks) f(b);
    f(p);
}

// After gc.collect() (the arena's gc.callbacks entry), what is beyond the retained bytes goes back
// at once.
TEST_P(ArenaTest, ARequestedCollectionGivesTheQueueBack) {
    std::vector<void*> blocks;
    for (int i = 0; i < 100000; ++i) blocks.push_back(m(64));
    for (void* p : blocks) f(p);
    EXPECT_GT(arena_->stats().queued_bytes, arena_->config().retain_bytes);
    arena_->after_requested_collection();
    ArenaStats s = arena_->stats();
    EXPECT_LE(s.queued_bytes, arena_->config().retain_bytes);
    EXPECT_GT(s.pages_returned, 0u);
}

TEST_P(ArenaTest, ALoopThatFillsAndEmptiesPoolsDoesNotThrash) {
    std::vector<void*> blocks;
    auto round = [&] {
        for (int i = 0; i < 2000; ++i) blocks.push_back(m(64));
        for (void* p : blocks) f(p);
        blocks.clear();
    };
    round();
    uint64_t purges = os_->counts().purges;
    uint64_t commits = os_->counts().commits;
    for (int i = 0; i < 100; ++i) round();
    EXPECT_EQ(os_->counts().purges, purges);
    EXPECT_EQ(os_->counts().commits, commits);
    EXPECT_GE(arena_->stats().pools_reused, 100u);
}

TEST_P(ArenaTest, OneBlockAtATimeNeverLeavesTheCurrentPoolOfASmallClass) {
    void* p = m(48);
    f(p);
    ArenaStats first = arena_->stats();
    for (int i = 0; i < 10000; ++i) f(m(48));
    ArenaStats then = arena_->stats();
    EXPECT_EQ(then.pools_created, first.pools_created);
    EXPECT_EQ(then.purge_calls, first.purge_calls);
    bool sticky = arena_->classes()[arena_->classes().index(48)].sticky;
    EXPECT_EQ(sticky, page() <= kStickyBytes);  // 64 KiB pools are too big to keep empty
    if (sticky) {
        EXPECT_EQ(then.pools_reused, first.pools_reused);
        EXPECT_EQ(then.pool_bytes, page());  // the class's current pool, empty
    } else {                                 // back and forth with the heap's own empty pools
        EXPECT_EQ(then.pools_reused, first.pools_reused + 10000);
        EXPECT_EQ(then.pool_bytes, 0u);
    }
}

TEST_P(ArenaTest, BigBlockClassesLetTheirEmptyCurrentPoolGo) {
    void* p = m(20000);
    f(p);
    EXPECT_FALSE(arena_->classes()[arena_->classes().index(20000)].sticky);
    EXPECT_EQ(arena_->stats().pool_bytes, 0u);
}

TEST_P(ArenaTest, TrimReturnsEverythingEmpty) {
    std::vector<void*> blocks;
    for (int i = 0; i < 50000; ++i) blocks.push_back(m(1 + i % 3000));
    void* kept = m(100);
    for (void* p : blocks) f(p);
    arena_->trim();
    ArenaStats s = arena_->stats();
    EXPECT_EQ(s.queued_bytes, 0u);
    EXPECT_EQ(s.pool_bytes, page());  // the one pool with a live block
    EXPECT_EQ(s.committed_bytes, page());
    f(kept);
}

TEST_P(ArenaTest, RetainZeroPurgesEveryEmptyPool) {
    ArenaConfig c = small_config();
    c.retain_bytes = 0;
    make(c);
    std::vector<void*> blocks;
    // Ten full pools, and the current one with a block in use, which empties last.
    for (size_t i = 0; i < 10 * page() / 32 + 1; ++i) blocks.push_back(m(32));
    for (void* p : blocks) f(p);
    wait_out_the_delay();
    ArenaStats s = arena_->stats();
    EXPECT_EQ(s.queued_bytes, 0u);
    bool sticky = page() <= kStickyBytes;
    EXPECT_EQ(s.committed_bytes - s.reserved_bytes, sticky ? page() : 0u);  // the current pool, if kept
    EXPECT_EQ(s.pages_returned, sticky ? 10u : 11u);
}

// ---- pools -----------------------------------------------------------------------------------------

TEST_P(ArenaTest, AClassInDemandGetsItsPoolsSideBySide) {
    // Two classes allocated in turn, as a dict of ints to strs is built.
    std::vector<void*> ints, strs;
    for (int i = 0; i < 100000; ++i) {
        ints.push_back(m(32));
        strs.push_back(m(80));
    }
    Heap& heap = arena_->gil_heap();
    size_t adjacent = 0, pools = 0;
    for (size_t i = 1; i < ints.size(); ++i) {
        PoolMeta* a = heap.pool_of(ints[i - 1]);
        PoolMeta* b = heap.pool_of(ints[i]);
        if (a == b) continue;
        ++pools;
        adjacent += b == a + 1;
    }
    // Mostly side by side (runs are at most 256 KiB: 4 pools of 64 KiB).
    EXPECT_GT(adjacent * 10, pools * (page() < 64 * kKiB ? 8 : 6)) << adjacent << " of " << pools;
    // The strs stay; dropping the ints returns their pages in long runs: few madvise calls (purges
    // come in batches of neighbours: fewer pools per batch on big pages).
    for (void* p : ints) f(p);
    wait_out_the_delay();
    ArenaStats s = arena_->stats();
    EXPECT_GT(s.pages_returned, 0u);
    EXPECT_LE(s.purge_calls * (page() == 4096 ? 8 : 2), s.pages_returned) << s.purge_calls << " calls";
    for (void* p : strs) f(p);
}

// A pool that waited on the purge queue only a moment comes back with its free list (kept in the
// pool meanwhile: Region::park_free_list), so its blocks go out newest freed first; one that waited
// longer is carved again, in address order.
TEST_P(ArenaTest, AQueuedPoolKeepsItsFreeListOnlyWhileHot) {
    const size_t size = 64;
    const uint32_t cap = arena_->classes()[arena_->classes().index(size)].capacity[0];
    Heap& heap = arena_->gil_heap();
    std::vector<void*> blocks;
    // Allocates 8 pools' worth, then returns for each pool whether its blocks came out in descending
    // address order (its old free list) or ascending (carved).
    auto build = [&] {
        for (uint32_t i = 0; i < 8 * cap; ++i) blocks.push_back(m(size));
        std::map<const PoolMeta*, std::vector<uintptr_t>> order;
        for (void* p : blocks) order[heap.pool_of(p)].push_back(uintptr_t(p));
        std::set<bool> descending;
        for (auto& [pool, seq] : order) descending.insert(std::is_sorted(seq.rbegin(), seq.rend()));
        return descending;
    };
    // Frees everything in address order (each free list then starts at the pool's last block), and
    // every empty pool goes to the purge queue.
    auto drop = [&] {
        std::sort(blocks.begin(), blocks.end());
        for (void* p : blocks) f(p);
        blocks.clear();
        heap.give_back_empties();
        EXPECT_EQ(arena_->stats().queued_bytes, 8 * page());
    };
    EXPECT_EQ(build(), std::set<bool>{false});  // fresh pools: carved
    drop();
    uint64_t reused = arena_->region().counters().pools_reused;
    EXPECT_EQ(build(), std::set<bool>{true});  // the fake clock stands still: hot
    EXPECT_EQ(arena_->region().counters().pools_reused, reused + 8);
    drop();
    os_->advance_ms(arena_->config().purge_delay_ms / 2);  // cold, not due
    EXPECT_EQ(build(), std::set<bool>{false});
    EXPECT_EQ(arena_->region().counters().pools_reused, reused + 16);
    for (void* p : blocks) f(p);
}

// Pools of the most blocks a pool may hold (29127 blocks of 144 bytes in a 4 MiB pool): the
// 16-bit counts of PoolMeta see every block in and out.
TEST_P(ArenaTest, PoolsOfTheMostBlocksCountEveryBlock) {
    ArenaConfig c = small_config();
    c.arena_bytes = 4 * kMiB;
    c.pool_blocks = UINT32_MAX;
    make(c);
    const size_t size = 144;
    const int cls = arena_->classes().index(size);
    const ClassInfo& info = arena_->classes()[cls];
    const uint32_t cap = info.capacity[info.order_hi];
    ASSERT_EQ(cap, 4 * kMiB / size);
    ASSERT_GT(cap, kMaxPoolBlocks / 2);
    Heap& heap = arena_->gil_heap();
    std::vector<void*> blocks;
    std::map<const PoolMeta*, uint32_t> per_pool;
    auto in_use = [&] { return arena_->stats().classes[cls].blocks_in_use; };
    while (std::count_if(per_pool.begin(), per_pool.end(), [&](auto& e) { return e.second == cap; }) < 2) {
        void* p = m(size);
        ASSERT_NE(p, nullptr);
        blocks.push_back(p);
        ++per_pool[heap.pool_of(p)];
    }
    EXPECT_EQ(in_use(), blocks.size());
    ASSERT_EQ(arena_->verify(), nullptr);
    for (size_t i = 0; i < blocks.size(); i += 2) f(blocks[i]);  // every pool partial
    EXPECT_EQ(in_use(), blocks.size() / 2);
    ASSERT_EQ(arena_->verify(), nullptr);
    for (size_t i = 0; i < blocks.size() / 2; ++i) blocks[2 * i] = m(size);  // and full again
    EXPECT_EQ(in_use(), blocks.size());
    ASSERT_EQ(arena_->verify(), nullptr);
    for (void* p : blocks) f(p);
    EXPECT_EQ(in_use(), 0u);
}

TEST_P(ArenaTest, RefillTakesTheFullestPartialPool) {
    const size_t size = 256;
    const uint32_t cap = arena_->classes()[arena_->classes().index(size)].capacity[0];
    // Four full pools, and a fifth, the current one, with one block in use.
    std::vector<std::vector<void*>> pools(5);
    for (auto& pool : pools) {
        for (uint32_t i = 0; i < (&pool == &pools[4] ? 1 : cap); ++i) pool.push_back(m(size));
    }
    Heap& heap = arena_->gil_heap();
    ASSERT_NE(heap.pool_of(pools[0][0]), heap.pool_of(pools[4][0]));
    // Pools 0-3 become partial with different occupancy: pool 2 keeps the most blocks.
    const uint32_t keep[4] = {cap / 8, cap / 2, cap - 3, cap / 3};
    for (int k = 0; k < 4; ++k) {
        for (uint32_t i = keep[k]; i < cap; ++i) f(pools[k][i]);
        pools[k].resize(keep[k]);
    }
    // Once the current pool is used up, the next block comes from the fullest partial pool.
    while (pools[4].size() < cap) pools[4].push_back(m(size));
    ASSERT_EQ(heap.pool_of(pools[4].back()), heap.pool_of(pools[4][0]));
    void* next = m(size);
    EXPECT_EQ(heap.pool_of(next), heap.pool_of(pools[2][0]));
    f(next);
    for (auto& pool : pools) {
        for (void* p : pool) f(p);
    }
}

TEST_P(ArenaTest, APoolFreedIntoTakesOverAUsedUpCurrentPool) {
    const size_t size = 256;
    const uint32_t cap = arena_->classes()[arena_->classes().index(size)].capacity[0];
    // Three full pools: the current one (the last) is used up.
    std::vector<void*> blocks;
    for (uint32_t i = 0; i < 3 * cap; ++i) blocks.push_back(m(size));
    Heap& heap = arena_->gil_heap();
    PoolMeta* first = heap.pool_of(blocks[0]);
    PoolMeta* last = heap.pool_of(blocks.back());
    ASSERT_NE(first, last);
    // A block back in the first pool: it becomes the current pool, and the next block is that one.
    f(blocks[1]);
    EXPECT_EQ(first->state, PoolState::current);
    EXPECT_EQ(last->state, PoolState::full);
    EXPECT_EQ(m(size), blocks[1]);
    ASSERT_EQ(arena_->verify(), nullptr);
    // While the current pool has free blocks, a full pool freed into waits on a bucket instead.
    f(blocks[1]);
    f(blocks[cap + 1]);
    EXPECT_EQ(first->state, PoolState::current);
    EXPECT_TRUE(is_partial(heap.pool_of(blocks[cap])->state));
    EXPECT_EQ(m(size), blocks[1]);
    ASSERT_EQ(arena_->verify(), nullptr);
    blocks[cap + 1] = m(size);
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->stats().classes[arena_->classes().index(size)].blocks_in_use, 0u);
}

// A program whose blocks of a class fill its pools exactly, and which frees and allocates two
// temporaries in turns: refill would take back, for one block at a time, the pool the other
// temporary was freed into, and two pools would trade places on every round (three slow paths a
// round). Refill passes over a pool it took lately with a block or two to give, and with no other
// partial pool takes a new one, where the temporaries settle.
TEST_P(ArenaTest, TemporariesAtAPoolBoundarySettleInOnePool) {
    const size_t size = 64;
    const ClassInfo& info = arena_->classes()[arena_->classes().index(size)];
    // In a class that is not sticky, the pool the temporaries settle in empties and goes on every round.
    if (!info.sticky) GTEST_SKIP() << "no class is sticky on " << page() / kKiB << " KiB pages";
    const uint32_t cap = info.capacity[info.order_lo];
    std::vector<void*> blocks;
    for (uint32_t i = 0; i < 3 * cap; ++i) blocks.push_back(m(size));
    Heap& heap = arena_->gil_heap();
    void* t1 = blocks[1];
    void* t2 = blocks[cap + 1];
    ASSERT_NE(heap.pool_of(t1), heap.pool_of(t2));
    for (int round = 0; round < 4; ++round) {
        f(t1);
        f(t2);
        t1 = m(size);
        t2 = m(size);
    }
    PoolMeta* settled = heap.pool_of(t1);
    EXPECT_EQ(heap.pool_of(t2), settled);
    for (int round = 0; round < 4; ++round) {
        f(t1);
        f(t2);
        t1 = m(size);
        t2 = m(size);
        EXPECT_EQ(heap.pool_of(t1), settled);
        EXPECT_EQ(heap.pool_of(t2), settled);
    }
    ASSERT_EQ(arena_->verify(), nullptr);
    blocks[1] = t1;
    blocks[cap + 1] = t2;
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->stats().classes[arena_->classes().index(size)].blocks_in_use, 0u);
}

// Blocks replaced at random: every free into a full pool leaves it with a block to give. Passing
// over such pools (above) must not grow the class: a pool passed over and left first in line would
// make refill take a new pool every time.
TEST_P(ArenaTest, BlocksReplacedAtRandomDoNotGrowTheirClass) {
    const size_t size = 64;
    const int cls = arena_->classes().index(size);
    const uint32_t cap = arena_->classes()[cls].capacity[arena_->classes()[cls].order_lo];
    std::vector<void*> blocks;
    for (uint32_t i = 0; i < 16 * cap; ++i) blocks.push_back(m(size));
    Heap& heap = arena_->gil_heap();
    const uint32_t pools = heap.size_class(cls).pools;
    std::mt19937 rng(7);
    for (uint32_t i = 0; i < 16 * cap; ++i) {  // four at a time, so that refill has partial pools to take
        size_t picked[4];
        for (size_t& k : picked) {
            k = rng() % blocks.size();
            f(blocks[k]);
            blocks[k] = nullptr;
        }
        for (size_t k : picked) {
            if (blocks[k] == nullptr) blocks[k] = m(size);
        }
    }
    EXPECT_LE(heap.size_class(cls).pools, pools + 1);
    ASSERT_EQ(arena_->verify(), nullptr);
    for (void* p : blocks) f(p);
}

TEST_P(ArenaTest, MediumPoolsGrowWithDemandAndShrinkWhenItGoes) {
    const size_t size = 3000;
    const int cls = arena_->classes().index(size);
    const ClassInfo& info = arena_->classes()[cls];
    if (info.order_lo == info.order_hi) GTEST_SKIP() << "one pool order fits 8 blocks on this page size";
    EXPECT_EQ(arena_->gil_heap().size_class(cls).order, info.order_lo);
    std::vector<void*> blocks;
    for (int i = 0; i < 400; ++i) blocks.push_back(m(size));
    EXPECT_EQ(arena_->gil_heap().size_class(cls).order, info.order_hi);
    std::set<uint8_t> orders;
    for (void* p : blocks) orders.insert(arena_->gil_heap().pool_of(p)->order);
    EXPECT_GT(orders.size(), 1u);
    EXPECT_EQ(*orders.rbegin(), info.order_hi);
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->gil_heap().size_class(cls).order, info.order_lo);
}

TEST_P(ArenaTest, BlocksOfMultiPagePoolsAreFoundFromAnyPage) {
    const size_t size = 6000;  // pools of several pages on 4 KiB and 16 KiB pages
    std::vector<void*> blocks;
    for (int i = 0; i < 200; ++i) {
        blocks.push_back(m(size));
        ASSERT_EQ(arena_->block_size(blocks.back()), arena_->classes()[arena_->classes().index(size)].size);
    }
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->stats().in_use_bytes, 0u);
}

// ---- large blocks and realloc ----------------------------------------------------------------------

TEST_P(ArenaTest, LargeBlocksHaveTheirOwnMappingUnmappedOnFree) {
    ArenaConfig c = small_config();
    c.purge_delay_ms = 0;  // unmapped at once
    make(c);
    size_t n = arena_->config().large_threshold + 1;
    f(m(n));  // the registry maps its first leaf
    FakeOsMemory::Counts before = os_->counts();
    void* p = m(n);
    EXPECT_EQ(os_->counts().maps, before.maps + 1);
    EXPECT_EQ(arena_->block_size(p), (n + page() - 1) / page() * page());
    EXPECT_EQ(arena_->stats().large_bytes, arena_->block_size(p));
    f(p);
    EXPECT_EQ(os_->counts().unmaps, before.unmaps + 1);
    EXPECT_EQ(os_->counts().mapped_bytes, before.mapped_bytes);
    EXPECT_EQ(arena_->stats().large_blocks, 0u);
    EXPECT_EQ(arena_->stats().committed_bytes, arena_->stats().queued_bytes);
}

// With the purge delay, a freed large block's mapping waits for the next large request: the same
// size takes it as it is, a smaller one shrinks it, a larger one grows it (mremap: no page of it is
// faulted in again); calloc clears what it reuses; it goes back once the delay is over.
TEST_P(ArenaTest, FreedLargeMappingsAreReusedUntilTheDelayIsOver) {
    size_t big = 8 * arena_->config().large_threshold;
    f(m(big));                             // the registry maps its first leaf...
    arena_->after_requested_collection();  // ... and the block's mapping goes
    FakeOsMemory::Counts before = os_->counts();
    auto* p = static_cast<unsigned char*>(m(big));
    std::memset(p, 0xab, big);
    f(p);
    ArenaStats cached = arena_->stats();
    EXPECT_EQ(cached.large_blocks, 0u);
    EXPECT_EQ(cached.large_cached_bytes, arena_->config().large_threshold * 8);
    EXPECT_EQ(os_->counts().maps, before.maps + 1);
    EXPECT_EQ(os_->counts().unmaps, before.unmaps);
    // The same size: the same mapping, no call to the OS; calloc clears it.
    auto* q = static_cast<unsigned char*>(arena_->calloc(HeapId::gil, 1, big));
    EXPECT_EQ(q, p);
    EXPECT_TRUE(std::all_of(q, q + big, [](unsigned char b) { return b == 0; }));
    EXPECT_EQ(os_->counts().maps, before.maps + 1);
    EXPECT_EQ(arena_->stats().large_cached_bytes, 0u);
    f(q);
    // Smaller: the front of it, the rest still cached (a mapping of its own); a small remainder
    // (under the large threshold) is not kept.
    size_t part = big / 4;
    void* front = m(part);
    EXPECT_EQ(front, p);
    EXPECT_EQ(arena_->block_size(front), part);
    EXPECT_EQ(arena_->stats().large_cached_bytes, big - part);
    void* next = m(part);  // the next part of the same mapping
    EXPECT_EQ(next, p + part);
    EXPECT_EQ(os_->counts().maps, before.maps + 1);
    f(front);
    f(next);
    EXPECT_EQ(arena_->stats().large_cached_bytes, big);
    if (part - page() > arena_->config().large_threshold) {  // (not with 64 KiB pages: a pool block)
        uint64_t unmapped = os_->counts().unmaps;
        void* almost = m(part - page());  // from a piece of `part` bytes: one page is left, and dropped
        EXPECT_EQ(arena_->stats().large_cached_bytes, big - part);
        EXPECT_EQ(os_->counts().unmaps, unmapped + 1);
        f(almost);
    }
    // Larger than any: the largest grown (mremap: in place, or moved without copying).
    arena_->after_requested_collection();
    f(m(big));
    void* larger = m(2 * big);
    EXPECT_EQ(arena_->block_size(larger), 2 * big);
    EXPECT_GE(os_->counts().remaps, before.remaps + 1);
    EXPECT_EQ(arena_->stats().committed_bytes, arena_->stats().large_bytes + arena_->stats().queued_bytes +
                                                   arena_->stats().pool_bytes + arena_->stats().reserved_bytes);
    f(larger);
    uint64_t unmaps = os_->counts().unmaps;
    wait_out_the_delay();
    EXPECT_EQ(arena_->stats().large_cached_bytes, 0u);
    EXPECT_EQ(os_->counts().unmaps, unmaps + 1);
    EXPECT_EQ(arena_->stats().committed_bytes, arena_->stats().queued_bytes);
    // gc.collect() unmaps them at once.
    f(m(big));
    EXPECT_GT(arena_->stats().large_cached_bytes, 0u);
    arena_->after_requested_collection();
    EXPECT_EQ(arena_->stats().large_cached_bytes, 0u);
}

TEST_P(ArenaTest, ReallocKeepsContentsAndStaysInPlaceWithinTheClass) {
    char* p = static_cast<char*>(m(100));
    std::memset(p, 7, 100);
    EXPECT_EQ(arena_->realloc(HeapId::gil, p, 112), p);  // same 112-byte class
    EXPECT_EQ(arena_->realloc(HeapId::gil, p, 90), p);   // shrinks by less than a quarter
    char* q = static_cast<char*>(arena_->realloc(HeapId::gil, p, 40));
    EXPECT_NE(q, p);
    EXPECT_EQ(arena_->block_size(q), 40u);
    EXPECT_TRUE(std::all_of(q, q + 40, [](char c) { return c == 7; }));
    // Grow through medium and large sizes, then shrink back down.
    size_t n = 40;
    for (size_t want : {700u, 5000u, 70000u, 300000u, 2000000u, 900000u, 50000u, 300u}) {
        std::memset(q + std::min(n, want) - 1, 9, 1);
        char* r = static_cast<char*>(arena_->realloc(HeapId::gil, q, want));
        ASSERT_NE(r, nullptr);
        ASSERT_TRUE(std::all_of(r, r + std::min<size_t>(39, want), [](char c) { return c == 7; }));
        ASSERT_EQ(r[std::min(n, want) - 1], 9);
        std::memset(r, 7, std::min<size_t>(39, want));
        ASSERT_GE(arena_->block_size(r), want);
        q = r;
        n = want;
    }
    f(q);
    EXPECT_EQ(arena_->stats().large_blocks, 0u);
}

TEST_P(ArenaTest, LargeReallocMovesPagesWithoutLosingThem) {
    size_t n = 4 * arena_->config().large_threshold;
    // A neighbour mapped right after the block stops growth in place, so the move path runs too.
    std::vector<void*> blocks;
    for (int i = 0; i < 8; ++i) {
        auto* p = static_cast<uint32_t*>(m(n));
        for (size_t j = 0; j < n / 4; ++j) p[j] = uint32_t(j * 2654435761u + i);
        blocks.push_back(p);
    }
    for (int i = 0; i < 8; ++i) {
        auto* p = static_cast<uint32_t*>(arena_->realloc(HeapId::gil, blocks[i], 3 * n));
        ASSERT_NE(p, nullptr);
        for (size_t j = 0; j < n / 4; ++j) ASSERT_EQ(p[j], uint32_t(j * 2654435761u + i));
        blocks[i] = p;
    }
    EXPECT_EQ(arena_->stats().large_blocks, 8u);
    for (void* p : blocks) f(p);
    EXPECT_EQ(arena_->stats().large_bytes, 0u);
}

// A large block grown step by step (a list appended to: 1/8 at a time) grows into the headroom its
// mapping got when it last moved: few system calls for many steps, its contents kept, and no page
// resident beyond its size. Shrinking and freeing give the headroom back.
TEST_P(ArenaTest, GrowingLargeBlocksUseHeadroomWithoutSystemCalls) {
    size_t n = 2 * arena_->config().large_threshold;
    auto* p = static_cast<uint8_t*>(m(n));
    std::memset(p, 7, n);
    size_t size = n;
    int steps = 0;
    uint64_t calls = os_->counts().maps + os_->counts().remaps;
    for (; size < 64 * n; size += size / 8, ++steps) {
        auto* q = static_cast<uint8_t*>(arena_->realloc(HeapId::gil, p, size + size / 8));
        ASSERT_NE(q, nullptr);
        ASSERT_EQ(q[0], 7);
        ASSERT_EQ(q[size - 1], size == n ? 7 : 9);
        std::memset(q + size, 9, size / 8);
        p = q;
    }
    uint64_t made = os_->counts().maps + os_->counts().remaps - calls;
    EXPECT_GT(steps, 30);
    // A move (remap in place refused, map, remap) per doubling at most, six doublings: not one a step.
    EXPECT_LE(made, 3u * 7);
    size_t bytes = arena_->block_size(p);
    EXPECT_GE(bytes, size);
    EXPECT_EQ(arena_->stats().large_bytes, bytes);
    // Resident: the block's pages, none of the headroom beyond.
    size_t headroom_pages = 8;
    std::vector<unsigned char> resident(headroom_pages);
    if (os_->resident(p + bytes, headroom_pages * page(), resident.data()) == 0) {
        for (unsigned char r : resident) EXPECT_EQ(r & 1, 0);
    }
    EXPECT_GT(os_->mapped_at(p), bytes);  // the headroom
    // Shrunk, the block's mapping ends at its size again.
    p = static_cast<uint8_t*>(arena_->realloc(HeapId::gil, p, 4 * n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p[n - 1], 7);
    EXPECT_EQ(arena_->stats().large_bytes, 4 * n);
    EXPECT_EQ(os_->mapped_at(p), 4 * n);
    // Grown again (headroom again) and freed: the cache keeps the block's pages, not the headroom.
    p = static_cast<uint8_t*>(arena_->realloc(HeapId::gil, p, 5 * n));
    ASSERT_NE(p, nullptr);
    EXPECT_GT(os_->mapped_at(p), 5 * n);
    f(p);
    EXPECT_EQ(arena_->stats().large_cached_bytes, 5 * n);
    EXPECT_EQ(os_->mapped_at(p), 5 * n);
}

// Headroom the OS refuses is done without: the growth still succeeds.
TEST_P(ArenaTest, GrowthWithoutRoomForHeadroomStillSucceeds) {
    size_t n = 2 * arena_->config().large_threshold;
    void* neighbour = m(n);  // mapped first, so that the block's end more likely meets a mapping
    auto* p = static_cast<uint8_t*>(m(n));
    std::memset(p, 5, n);
    os_->fail_map_after(0);  // the mapping with headroom fails; the one without succeeds
    auto* q = static_cast<uint8_t*>(arena_->realloc(HeapId::gil, p, 3 * n));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q[n - 1], 5);
    if (q != p) {
        EXPECT_EQ(os_->mapped_at(q), 3 * n);  // moved: without headroom
    }
    f(q);
    f(neighbour);
}

// ---- census ----------------------------------------------------------------------------------------

// The census counts the resident pages that hold a byte of a live block (a block straddling two
// pages makes both live), and those that hold none.
TEST_P(ArenaTest, TheCensusTellsLivePagesFromEmptyOnes) {
    for (size_t size : {size_t{64}, size_t{1000}}) {  // a small class; a medium one, whose blocks straddle pages
        make(small_config());
        std::vector<void*> blocks;
        for (size_t i = 0; i < 40 * page() / size; ++i) blocks.push_back(m(size));
        std::set<uintptr_t> live;  // pages with a byte of a kept block
        for (size_t i = 0; i < blocks.size(); ++i) {
            if (i % 3 == 0 && (i / (3 * page() / size)) % 2 == 0) {  // keep some, in stretches of three pages
                uintptr_t a = uintptr_t(blocks[i]);
                for (uintptr_t p = a / page(); p <= (a + size - 1) / page(); ++p) live.insert(p);
            } else {
                f(blocks[i]);
                blocks[i] = nullptr;
            }
        }
        ArenaCensus c = arena_->census();
        EXPECT_EQ(c.page_size, page());
        EXPECT_EQ(c.live_pages, live.size()) << size;
        EXPECT_GT(c.empty_pages, 0u);  // the stretches freed whole, kept for reuse
        EXPECT_GT(c.metadata_bytes, 0u);
        arena_->after_requested_collection();  // empty pools beyond the retained bytes go back...
        ArenaCensus after = arena_->census();
        EXPECT_EQ(after.live_pages, live.size());
        EXPECT_LE(after.empty_pages * page(), arena_->config().retain_bytes + 8 * page());  // ... and leave no RSS
        for (void* p : blocks) {
            if (p != nullptr) f(p);
        }
    }
}

// ---- heaps -----------------------------------------------------------------------------------------

TEST_P(ArenaTest, HeapsShareNoPoolAndFreeEachOthersBlocks) {
    void* g = arena_->malloc(HeapId::gil, 64);
    void* r = arena_->malloc(HeapId::raw, 64);
    EXPECT_NE(arena_->gil_heap().pool_of(g), arena_->gil_heap().pool_of(r));
    EXPECT_EQ(arena_->gil_heap().pool_of(r)->heap, HeapId::raw);
    // PyMem_Free on a PyMem_RawMalloc block works in stock CPython; it does here.
    EXPECT_TRUE(arena_->free(HeapId::gil, r));
    void* r2 = arena_->realloc(HeapId::gil, arena_->malloc(HeapId::raw, 64), 80);
    EXPECT_EQ(arena_->gil_heap().pool_of(r2)->heap, HeapId::raw);  // stays in its heap
    EXPECT_TRUE(arena_->free(HeapId::raw, r2));
    EXPECT_TRUE(arena_->free(HeapId::gil, g));
    EXPECT_EQ(arena_->stats().in_use_bytes, 0u);
}

// ---- cap ---------------------------------------------------------------------------------------------

TEST_P(ArenaTest, TheCapRefusesAndTheArenaRecovers) {
    ArenaConfig c = small_config();
    c.max_heap_bytes = 8 * kMiB;
    make(c);
    std::vector<void*> blocks;
    size_t refused_at = 0;
    for (size_t i = 0; i < 1000000; ++i) {
        void* p = m(48 + (i % 3) * 1000 + (i % 97 == 0 ? 100000 : 0));
        if (p == nullptr) {
            refused_at = i;
            break;
        }
        blocks.push_back(p);
        ASSERT_LE(arena_->stats().committed_bytes, c.max_heap_bytes);
    }
    ASSERT_GT(refused_at, 0u);
    ArenaStats s = arena_->stats();
    EXPECT_GT(s.cap_failures, 0u);
    EXPECT_GT(s.committed_bytes, c.max_heap_bytes / 2);
    // Free half, and allocation works again.
    for (size_t i = 0; i < blocks.size(); i += 2) f(blocks[i]);
    for (int i = 0; i < 1000; ++i) {
        void* p = m(48);
        ASSERT_NE(p, nullptr);
        f(p);
    }
    for (size_t i = 1; i < blocks.size(); i += 2) f(blocks[i]);
}

TEST_P(ArenaTest, OsRefusalsBecomeNullNotCrashes) {
    os_->fail_map_after(0);
    EXPECT_EQ(m(10 * arena_->config().large_threshold), nullptr);
    os_->fail_commit_after(0);
    std::vector<void*> blocks;
    void* p;
    while ((p = m(512)) != nullptr) blocks.push_back(p);  // until a new arena is needed
    EXPECT_LE(blocks.size(), arena_->config().arena_bytes / 512);
    for (void* q : blocks) f(q);
    EXPECT_EQ(arena_->stats().committed_bytes, arena_->stats().queued_bytes);
}

// The allocator a domain had before the arena, as the overflow sees it: std::malloc, keeping count.
struct PreviousAllocator {
    std::set<void*> blocks;
    static void* malloc(void* ctx, size_t n) { return static_cast<PreviousAllocator*>(ctx)->keep(std::malloc(n)); }
    static void* calloc(void* ctx, size_t nelem, size_t elsize) {
        return static_cast<PreviousAllocator*>(ctx)->keep(std::calloc(nelem, elsize));
    }
    void* keep(void* p) { return *blocks.insert(p).first; }
    void free(void* p) {
        ASSERT_EQ(blocks.erase(p), 1u);
        std::free(p);
    }
};

TEST_P(ArenaTest, WhatTheRegionCannotServeGoesToTheOverflowAndBackToIt) {
    for (HeapId id : {HeapId::gil, HeapId::raw}) {
        SCOPED_TRACE(int(id));
        make(small_config());
        // No arena and no mapping more (after the first): 512-byte blocks until the region has no
        // pool for them.
        std::vector<char*> ours{static_cast<char*>(arena_->malloc(id, 512))};
        std::memset(ours[0], 7, 512);
        os_->refuse_all();
        char* p;
        while ((p = static_cast<char*>(arena_->malloc(id, 512))) != nullptr) {
            std::memset(p, 7, 512);
            ours.push_back(p);
        }
        PreviousAllocator previous;
        Heap& heap = id == HeapId::gil ? arena_->gil_heap() : arena_->raw_heap();
        heap.set_overflow({&previous, PreviousAllocator::malloc, PreviousAllocator::calloc});
        std::vector<char*> theirs;
        for (size_t n : {size_t{16}, size_t{512}, size_t{3000}, 10 * arena_->config().large_threshold}) {
            for (int i = 0; i < 200; ++i) {
                p = static_cast<char*>(arena_->malloc(id, n));
                ASSERT_NE(p, nullptr);
                std::memset(p, 1, n);
                if (!arena_->owns(p)) theirs.push_back(p);
            }
        }
        auto* zeroed = static_cast<unsigned char*>(arena_->calloc(id, 3, arena_->config().large_threshold));
        ASSERT_NE(zeroed, nullptr);
        EXPECT_FALSE(arena_->owns(zeroed));
        EXPECT_TRUE(std::all_of(zeroed, zeroed + 3 * arena_->config().large_threshold, [](auto b) { return b == 0; }));
        theirs.push_back(reinterpret_cast<char*>(zeroed));
        // An arena block grown past what the arena can map moves to the overflow, its bytes with it.
        char* moved = static_cast<char*>(arena_->realloc(id, ours.back(), 4 * arena_->config().large_threshold));
        ASSERT_NE(moved, nullptr);
        EXPECT_FALSE(arena_->owns(moved));
        EXPECT_TRUE(std::all_of(moved, moved + 512, [](char b) { return b == 7; }));
        ours.back() = moved;
        theirs.push_back(moved);
        EXPECT_GE(theirs.size(), 200u + 200u + 2u);  // the 512-byte and large ones at least
        EXPECT_EQ(arena_->stats().overflowed, previous.blocks.size());
        // Blocks the arena does not own are the caller's to hand back (arena_backend.cpp).
        for (char* q : theirs) {
            EXPECT_FALSE(arena_->free(id, q));
            previous.free(q);
        }
        for (char* q : ours) {
            if (q != moved) {
                EXPECT_TRUE(arena_->free(id, q));
            }
        }
        EXPECT_TRUE(previous.blocks.empty());
    }
}

TEST_P(ArenaTest, WhileTheOverflowServesTheRegionIsAskedNowAndThenAndServesAgainWhenItCan) {
    PreviousAllocator previous;
    arena_->gil_heap().set_overflow({&previous, PreviousAllocator::malloc, PreviousAllocator::calloc});
    os_->refuse_all();
    std::vector<void*> ours;
    void* p;
    while ((p = m(3000)) != nullptr && arena_->owns(p)) ours.push_back(p);  // what committed arenas hold
    std::vector<void*> theirs{p};
    uint64_t refused = os_->counts().refused;
    for (int i = 0; i < 100 * int(kRegionRetryAfter); ++i) theirs.push_back(m(3000));
    EXPECT_EQ(arena_->stats().overflowed, theirs.size());
    EXPECT_LE(os_->counts().refused - refused, 100u);  // once per kRegionRetryAfter requests, not each time
    os_->refuse_all(false);
    bool served = false;
    for (uint32_t i = 0; i <= kRegionRetryAfter && !served; ++i) {
        void* q = m(3000);
        served = arena_->owns(q);
        (served ? ours : theirs).push_back(q);
    }
    EXPECT_TRUE(served);
    for (void* q : ours) f(q);
    for (void* q : theirs) previous.free(q);
}

TEST_P(ArenaTest, WithoutAnOverflowWhatTheRegionCannotServeIsNull) {
    os_->refuse_all();
    std::vector<void*> blocks;
    void* p;
    while ((p = m(3000)) != nullptr) blocks.push_back(p);
    EXPECT_EQ(m(10 * arena_->config().large_threshold), nullptr);
    EXPECT_EQ(arena_->stats().overflowed, 0u);
    for (void* q : blocks) f(q);
}

// ---- statistics --------------------------------------------------------------------------------------

TEST_P(ArenaTest, StatisticsAddUp) {
    std::mt19937 rng(7);
    std::vector<void*> blocks;
    for (int i = 0; i < 30000; ++i) {
        size_t n = std::uniform_int_distribution<size_t>(1, 4000)(rng);
        if (i % 500 == 0) n = 200000;
        blocks.push_back(arena_->malloc(i % 5 == 0 ? HeapId::raw : HeapId::gil, n));
    }
    for (size_t i = 0; i < blocks.size(); i += 3) arena_->free(HeapId::raw, blocks[i]), blocks[i] = nullptr;
    ArenaStats s = arena_->stats();
    EXPECT_EQ(s.committed_bytes,
              s.pool_bytes + s.queued_bytes + s.reserved_bytes + s.large_bytes + s.large_cached_bytes);
    uint64_t in_use = s.large_bytes;
    for (int i = 0; i < s.class_count; ++i) {
        in_use += s.classes[i].blocks_in_use * s.classes[i].block_size;
        EXPECT_LE(s.classes[i].blocks_in_use, s.classes[i].blocks_capacity);
    }
    EXPECT_EQ(s.in_use_bytes, in_use);
    EXPECT_GE(s.committed_peak_bytes, s.committed_bytes);
    EXPECT_GT(s.fragmentation(), 0.0);
    EXPECT_LT(s.fragmentation(), 1.0);
    for (void* p : blocks) arena_->free(HeapId::gil, p);
    EXPECT_EQ(arena_->stats().in_use_bytes, 0u);
}

// The real kernel, with its own page size: the same basic life cycle.
TEST(ArenaOnTheSystem, AllocatesPurgesAndReleases) {
    int error = 0;
    ArenaConfig c = small_config();
    c.purge_delay_ms = 0;  // purged at once (the purge thread is tested in test_arena_stress.cpp)
    Arena* a = Arena::create(system_os_memory(), c, &error);
    ASSERT_NE(a, nullptr) << error;
    std::vector<void*> blocks;
    for (int i = 0; i < 100000; ++i) blocks.push_back(a->malloc(HeapId::gil, 1 + i % 700));
    for (void* p : blocks) a->free(HeapId::gil, p);
    ArenaStats s = a->stats();
    EXPECT_EQ(s.in_use_bytes, 0u);
    EXPECT_LE(s.committed_bytes, a->config().retain_bytes);
    EXPECT_GT(s.pages_returned, 0u);
    EXPECT_EQ(a->verify(), nullptr);
    Arena::destroy(a);
}

}  // namespace
}  // namespace shrinkpy::alloc
