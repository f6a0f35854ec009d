// Stress tests of the arena allocator:
//  - a seeded random sequence of malloc, calloc, realloc and free against a reference model that
//    knows every live block's size and contents, on 4, 16 and 64 KiB pages, with a small purge
//    allowance and phases that drop most blocks so that pools empty, get purged and come back;
//  - the RAW heap from several threads at once, blocks changing threads between allocation and
//    free, while another thread uses the MEM/OBJ heap and frees RAW blocks through it.
// `make test` runs them twice: as they are, and against the ASan/UBSan copy of the library with
// every validator on (test_arena_sanitized), where they are the main defence (mimalloc's approach:
// internal checks under a stress load).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "arena.hpp"
#include "fake_os.hpp"

namespace shrinkpy::alloc {
namespace {

using testing::FakeOsMemory;

#if defined(SHRINKPY_TEST_SANITIZED)
constexpr uint64_t kOperations = 1'000'000;
#else
constexpr uint64_t kOperations = 2'000'000;
#endif

// A block's contents are a function of a tag, so a block overwritten by anyone else is noticed.
uint8_t content(uint64_t tag, size_t i) { return uint8_t((tag * 0x9E3779B97F4A7C15ull + i * 131) >> 56); }

// The bytes of an n-byte block that carry the pattern: all of a small block; the first and last 64
// and every 1000th in between of a bigger one.
template <typename F>
void for_each_marked(size_t n, F&& f) {
    for (size_t i = 0; i < n; i = (n > 256 && i >= 64 && i + 64 < n) ? std::min(i + 1000, n - 64) : i + 1) f(i);
}

void fill(void* p, size_t n, uint64_t tag) {
    auto* b = static_cast<uint8_t*>(p);
    for_each_marked(n, [&](size_t i) { b[i] = content(tag, i); });
}

// The pattern of an n-byte block, in its first `prefix` bytes (all of it by default).
bool intact(const void* p, size_t n, uint64_t tag, size_t prefix = SIZE_MAX) {
    auto* b = static_cast<const uint8_t*>(p);
    bool ok = true;
    for_each_marked(n, [&](size_t i) { ok = ok && (i >= prefix || b[i] == content(tag, i)); });
    return ok;
}

struct Live {
    size_t size;
    uint64_t tag;
    HeapId heap;
};

size_t random_size(std::mt19937_64& rng, size_t large_threshold) {
    uint64_t r = rng() % 1000;
    if (r < 800) return 1 + rng() % 512;                         // small
    if (r < 990) return 513 + rng() % (large_threshold - 512);   // medium
    return large_threshold + 1 + rng() % (4 * large_threshold);  // large
}

// Page size, and the purge delay (0: at once; else the fake clock moves a millisecond every 1000
// operations, so pools are reused, purged when due and offset by growth in turn).
class ArenaStress : public ::testing::TestWithParam<std::tuple<size_t, uint32_t>> {};

INSTANTIATE_TEST_SUITE_P(PageSizes, ArenaStress,
                         ::testing::Combine(::testing::Values(4 * kKiB, 16 * kKiB, 64 * kKiB),
                                            ::testing::Values(0u, 50u)),
                         [](const auto& info) {
                             return std::to_string(std::get<0>(info.param) / kKiB) + "KiB_delay" +
                                    std::to_string(std::get<1>(info.param));
                         });

TEST_P(ArenaStress, RandomOperationsAgreeWithAReferenceModel) {
    auto [page, delay] = GetParam();
    FakeOsMemory os(page);
    ArenaConfig config;
    config.reserve_bytes = 1 * kGiB;
    config.retain_bytes = 256 * kKiB;
    config.large_threshold = 32 * kKiB;
    config.purge_delay_ms = delay;
    int error = 0;
    Arena* arena = Arena::create(os, config, &error);
    ASSERT_NE(arena, nullptr) << error;
    const size_t threshold = arena->config().large_threshold;

    std::mt19937_64 rng(20261123 + page + delay);
    std::map<uintptr_t, Live> live;  // by address: neighbours tell overlaps
    std::vector<uintptr_t> order;    // for picking a random live block
    uint64_t next_tag = 1;
    size_t target = 20000;

    auto check_no_overlap = [&](uintptr_t p, size_t n) {
        auto it = live.upper_bound(p);
        if (it != live.end()) {
            ASSERT_LE(p + n, it->first) << "new block overlaps the next one";
        }
        if (it != live.begin()) {
            --it;
            ASSERT_LE(it->first + it->second.size, p) << "new block overlaps the previous one";
        }
    };
    auto pick = [&]() -> size_t { return size_t(rng() % order.size()); };
    auto forget = [&](size_t index) {
        order[index] = order.back();
        order.pop_back();
    };

    for (uint64_t op = 0; op < kOperations; ++op) {
        // Phases: build up, drop, build up higher than before (past the peak, while dropped pages
        // wait for reuse: growth gives them back), drop.
        if (op % 200000 == 0) target = op % 800000 == 0 ? 20000 : op % 800000 == 400000 ? 30000 : 500;
        if (op % 1000 == 0) os.advance_ms(1);
        uint64_t r = rng() % 100;
        bool grow = live.size() < target;
        if (order.empty() || (grow && r < 55) || (!grow && r < 20)) {
            size_t n = random_size(rng, threshold);
            HeapId heap = rng() % 4 == 0 ? HeapId::raw : HeapId::gil;
            bool zeroed = rng() % 8 == 0;
            void* p = zeroed ? arena->calloc(heap, 1, n) : arena->malloc(heap, n);
            ASSERT_NE(p, nullptr);
            ASSERT_EQ(uintptr_t(p) % guaranteed_alignment(n), 0u);
            ASSERT_GE(arena->block_size(p), n);
            if (zeroed) {
                auto* b = static_cast<uint8_t*>(p);
                for (size_t i = 0; i < n; i += 1 + i / 16) ASSERT_EQ(b[i], 0) << "calloc block not zero";
            }
            check_no_overlap(uintptr_t(p), n);
            uint64_t tag = next_tag++;
            fill(p, n, tag);
            live[uintptr_t(p)] = {n, tag, heap};
            order.push_back(uintptr_t(p));
        } else if (r < 75) {  // realloc
            size_t i = pick();
            uintptr_t old = order[i];
            Live block = live[old];
            ASSERT_TRUE(intact(reinterpret_cast<void*>(old), block.size, block.tag));
            size_t n = rng() % 3 == 0 ? block.size + rng() % 64 : random_size(rng, threshold);
            void* p = arena->realloc(block.heap, reinterpret_cast<void*>(old), n);
            ASSERT_NE(p, nullptr);
            ASSERT_TRUE(intact(p, block.size, block.tag, n)) << "realloc lost contents";
            live.erase(old);
            check_no_overlap(uintptr_t(p), n);
            uint64_t tag = next_tag++;
            fill(p, n, tag);
            live[uintptr_t(p)] = {n, tag, block.heap};
            order[i] = uintptr_t(p);
        } else {  // free, sometimes through the other heap
            size_t i = pick();
            uintptr_t p = order[i];
            Live block = live[p];
            ASSERT_TRUE(intact(reinterpret_cast<void*>(p), block.size, block.tag)) << "a live block was overwritten";
            HeapId via = (block.heap == HeapId::raw && rng() % 10 == 0) ? HeapId::gil : block.heap;
            ASSERT_TRUE(arena->free(via, reinterpret_cast<void*>(p)));
            live.erase(p);
            forget(i);
        }
        if (op % 100000 == 99999) {
            const char* problem = arena->verify();
            ASSERT_EQ(problem, nullptr) << problem << " after " << op << " operations";
            ArenaStats s = arena->stats();
            uint64_t in_use = 0;
            for (auto& [p, b] : live) in_use += arena->block_size(reinterpret_cast<void*>(p));
            ASSERT_EQ(s.in_use_bytes, in_use);
            ASSERT_EQ(s.committed_bytes,
                      s.pool_bytes + s.queued_bytes + s.reserved_bytes + s.large_bytes + s.large_cached_bytes);
            if (delay > 0) {  // what is beyond the allowance goes once due
                os.advance_ms(delay);
                ASSERT_EQ(arena->region().purge_due(), Region::kNothingDue);
                s = arena->stats();
            }
            ASSERT_LE(s.queued_bytes, config.retain_bytes);
        }
    }
    ArenaStats s = arena->stats();
    EXPECT_GT(s.pages_returned, 0u);
    EXPECT_GT(s.pools_reused, 0u);
    for (auto& [p, b] : live) {
        ASSERT_TRUE(intact(reinterpret_cast<void*>(p), b.size, b.tag));
        arena->free(b.heap, reinterpret_cast<void*>(p));
    }
    os.advance_ms(delay);
    arena->region().purge_due();
    s = arena->stats();
    EXPECT_EQ(s.in_use_bytes, 0u);
    EXPECT_LE(s.queued_bytes, config.retain_bytes);
    arena->trim();
    EXPECT_EQ(arena->stats().committed_bytes, 0u);
    EXPECT_EQ(arena->verify(), nullptr);
    EXPECT_TRUE(os.violations().empty()) << os.violations().front();
    Arena::destroy(arena);
}

// RAW from four threads at once. Blocks move between threads through a shared exchange; a fifth
// thread plays the interpreter: it uses the MEM/OBJ heap (alone, as under the GIL) and frees RAW
// blocks it takes from the exchange through that heap.
TEST(ArenaThreads, RawIsThreadSafeWhileMemAndObjRun) {
    int error = 0;
    ArenaConfig config;
    config.reserve_bytes = 1 * kGiB;
    config.retain_bytes = 128 * kKiB;
    config.purge_delay_ms = 5;  // the purge thread runs alongside, on the real clock
    Arena* arena = Arena::create(system_os_memory(), config, &error);
    ASSERT_NE(arena, nullptr) << error;
    arena->region().enable_purge_thread();
    const size_t threshold = arena->config().large_threshold;
    constexpr int kRawThreads = 4;
#if defined(SHRINKPY_TEST_SANITIZED)
    constexpr int kOpsPerThread = 100000;
#else
    constexpr int kOpsPerThread = 300000;
#endif
    std::mutex exchange_mutex;
    std::vector<std::pair<void*, Live>> exchange;
    std::atomic<int> failures{0};

    auto raw_worker = [&](int id) {
        std::mt19937_64 rng(id);
        std::vector<std::pair<void*, Live>> mine;
        for (int op = 0; op < kOpsPerThread; ++op) {
            uint64_t r = rng() % 100;
            if (mine.size() < 2000 && r < 50) {
                size_t n = random_size(rng, threshold);
                void* p = arena->malloc(HeapId::raw, n);
                if (p == nullptr) {
                    ++failures;
                    continue;
                }
                uint64_t tag = (uint64_t(id) << 40) | uint64_t(op);
                fill(p, n, tag);
                mine.push_back({p, {n, tag, HeapId::raw}});
            } else if (!mine.empty() && r < 65) {
                size_t i = rng() % mine.size();
                auto& [p, b] = mine[i];
                if (!intact(p, b.size, b.tag)) ++failures;
                size_t n = random_size(rng, threshold);
                void* q = arena->realloc(HeapId::raw, p, n);
                if (q == nullptr) {
                    ++failures;
                    continue;
                }
                if (!intact(q, b.size, b.tag, n)) ++failures;
                b.tag ^= 0x5555;
                b.size = n;
                p = q;
                fill(p, n, b.tag);
            } else if (!mine.empty() && r < 80) {  // hand a block to another thread
                std::lock_guard<std::mutex> g(exchange_mutex);
                if (exchange.size() < 1000) {
                    exchange.push_back(mine.back());
                    mine.pop_back();
                }
            } else if (!mine.empty()) {
                auto [p, b] = mine.back();
                mine.pop_back();
                if (!intact(p, b.size, b.tag)) ++failures;
                if (!arena->free(HeapId::raw, p)) ++failures;
            }
            if (op % 8 == 0) {  // free one from another thread
                std::pair<void*, Live> taken{nullptr, {}};
                {
                    std::lock_guard<std::mutex> g(exchange_mutex);
                    if (!exchange.empty()) {
                        taken = exchange.back();
                        exchange.pop_back();
                    }
                }
                if (taken.first != nullptr) {
                    if (!intact(taken.first, taken.second.size, taken.second.tag)) ++failures;
                    arena->free(HeapId::raw, taken.first);
                }
            }
        }
        for (auto& [p, b] : mine) arena->free(HeapId::raw, p);
    };

    std::atomic<bool> raw_done{false};
    auto interpreter = [&] {
        std::mt19937_64 rng(99);
        std::vector<std::pair<void*, Live>> objects;
        uint64_t tag = 1;
        while (!raw_done.load()) {
            for (int k = 0; k < 1000; ++k) {
                if (objects.size() < 5000 && rng() % 2 == 0) {
                    size_t n = 1 + rng() % 600;
                    void* p = arena->malloc(HeapId::gil, n);
                    if (p == nullptr) {
                        ++failures;
                        continue;
                    }
                    fill(p, n, ++tag);
                    objects.push_back({p, {n, tag, HeapId::gil}});
                } else if (!objects.empty()) {
                    auto [p, b] = objects.back();
                    objects.pop_back();
                    if (!intact(p, b.size, b.tag)) ++failures;
                    arena->free(HeapId::gil, p);
                }
            }
            std::pair<void*, Live> taken{nullptr, {}};
            {
                std::lock_guard<std::mutex> g(exchange_mutex);
                if (!exchange.empty()) {
                    taken = exchange.back();
                    exchange.pop_back();
                }
            }
            if (taken.first != nullptr) {  // PyMem_Free on a RAW block
                if (!intact(taken.first, taken.second.size, taken.second.tag)) ++failures;
                arena->free(HeapId::gil, taken.first);
            }
        }
        for (auto& [p, b] : objects) arena->free(HeapId::gil, p);
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < kRawThreads; ++i) threads.emplace_back(raw_worker, i + 1);
    std::thread gil(interpreter);
    for (auto& t : threads) t.join();
    raw_done = true;
    gil.join();
    for (auto& [p, b] : exchange) arena->free(HeapId::raw, p);

    EXPECT_EQ(failures.load(), 0);
    ArenaStats s = arena->stats();
    EXPECT_EQ(s.in_use_bytes, 0u);
    EXPECT_EQ(s.large_blocks, 0u);
    // Nobody allocates any more: the purge thread gives back what is beyond the allowance.
    for (int i = 0; i < 400 && s.queued_bytes > config.retain_bytes; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        s = arena->stats();
    }
    EXPECT_LE(s.queued_bytes, config.retain_bytes);
    arena->trim();
    EXPECT_EQ(arena->stats().committed_bytes, 0u);
    EXPECT_EQ(arena->verify(), nullptr);
    Arena::destroy(arena);
}

}  // namespace
}  // namespace shrinkpy::alloc
