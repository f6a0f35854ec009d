// The PyMem glue inside a real embedded CPython 3.11. Each test runs in a fresh process (a death
// test that must exit with 0), because an allocator can be installed only once per interpreter.
#include <Python.h>
#include <gtest/gtest.h>

#include <string>

#include "shrinkpy/alloc/backend.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace shrinkpy::alloc {
namespace {

void start_python(AllocatorKind kind) {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    if (PyStatus_Exception(Py_PreInitialize(&pre))) std::exit(10);
    if (install_allocator(kind, false, true).error != InstallError::none) std::exit(11);
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    if (PyStatus_Exception(Py_InitializeFromConfig(&config))) std::exit(12);
    PyConfig_Clear(&config);
}

#define REQUIRE(cond, code)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            std::fprintf(stderr, "failed: %s (line %d)\n", #cond, __LINE__); \
            std::exit(code);                                                 \
        }                                                                    \
    } while (0)

// Builds and drops 200k strings; the counters must follow.
void counts_follow_a_workload(AllocatorKind kind) {
    start_python(kind);
    REQUIRE(std::string(installed_allocator_name()) == allocator_kind_name(kind), 20);
    StatsSnapshot before = stats_snapshot();
    REQUIRE(PyRun_SimpleString("x = [str(i) * 3 for i in range(200000)]") == 0, 21);
    StatsSnapshot during = stats_snapshot();
    REQUIRE(during.domains[int(Domain::obj)].allocs - before.domains[int(Domain::obj)].allocs >= 200000, 22);
    // 200k str objects of 49+ bytes plus the list: at least 10 MB of blocks.
    REQUIRE(during.bytes_current - before.bytes_current >= 10'000'000, 23);
    REQUIRE(during.bytes_peak >= during.bytes_current, 24);
    REQUIRE(PyRun_SimpleString("del x") == 0, 25);
    StatsSnapshot after = stats_snapshot();
    REQUIRE(during.bytes_current - after.bytes_current >= 10'000'000, 26);
    REQUIRE(after.bytes_peak >= during.bytes_current, 27);
    for (const DomainStats& d : after.domains) REQUIRE(d.bytes_peak >= d.bytes_current, 28);
    REQUIRE(Py_FinalizeEx() == 0, 29);
    std::exit(0);
}

TEST(PymemGlue, PymallocCountsAWorkload) {
    EXPECT_EXIT(counts_follow_a_workload(AllocatorKind::pymalloc), ::testing::ExitedWithCode(0), "");
}
TEST(PymemGlue, MallocCountsAWorkload) {
    EXPECT_EXIT(counts_follow_a_workload(AllocatorKind::malloc), ::testing::ExitedWithCode(0), "");
}
TEST(PymemGlue, PymallocIndirectCountsAWorkload) {
    EXPECT_EXIT(counts_follow_a_workload(AllocatorKind::pymalloc_indirect), ::testing::ExitedWithCode(0), "");
}
TEST(PymemGlue, MimallocCountsAWorkload) {
    EXPECT_EXIT(counts_follow_a_workload(AllocatorKind::mimalloc), ::testing::ExitedWithCode(0), "");
}
TEST(PymemGlue, ArenaCountsAWorkload) {
    EXPECT_EXIT(counts_follow_a_workload(AllocatorKind::arena), ::testing::ExitedWithCode(0), "");
}

// The arena's own statistics follow the same workload, counted or not, and its block sizes are its
// size classes.
void arena_statistics_follow_a_workload(bool count) {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    REQUIRE(!PyStatus_Exception(Py_PreInitialize(&pre)), 60);
    ArenaConfig config;
    config.retain_bytes = 256 * kKiB;
    REQUIRE(install_allocator(AllocatorKind::arena, false, count, config).error == InstallError::none, 61);
    PyConfig pc;
    PyConfig_InitIsolatedConfig(&pc);
    REQUIRE(!PyStatus_Exception(Py_InitializeFromConfig(&pc)), 62);
    PyConfig_Clear(&pc);
    REQUIRE(watch_full_collections(), 73);  // as the launcher does once the interpreter runs
    ArenaStats before;
    REQUIRE(arena_stats(&before), 63);
    REQUIRE(PyRun_SimpleString("x = [str(i) * 3 for i in range(200000)]") == 0, 64);
    ArenaStats during;
    arena_stats(&during);
    REQUIRE(during.in_use_bytes - before.in_use_bytes >= 10'000'000, 65);
    REQUIRE(during.committed_bytes >= during.in_use_bytes, 66);
    REQUIRE(PyRun_SimpleString("del x") == 0, 67);
    ArenaStats dropped;  // kept for reuse for the purge delay...
    arena_stats(&dropped);
    REQUIRE(dropped.queued_bytes > config.retain_bytes, 74);
    PyGC_Collect();    // gc.collect() without the Python code around it, which frees pools of its own
    ArenaStats after;  // ... or until a full collection finds it idle
    arena_stats(&after);
    REQUIRE(after.committed_bytes + 10'000'000 <= during.committed_bytes, 68);  // given back
    REQUIRE(after.pages_returned > before.pages_returned, 69);
    REQUIRE(after.queued_bytes <= config.retain_bytes, 70);
    for (size_t n : {size_t{1}, size_t{100}, size_t{600}, size_t{5000}}) {
        void* p = PyObject_Malloc(n);
        REQUIRE(allocator_api().installed_name() == std::string("arena"), 71);
        PyObject_Free(p);
    }
    REQUIRE(Py_FinalizeEx() == 0, 72);
    std::exit(0);
}

TEST(PymemGlue, ArenaStatisticsFollowAWorkload) {
    EXPECT_EXIT(arena_statistics_follow_a_workload(true), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(arena_statistics_follow_a_workload(false), ::testing::ExitedWithCode(0), "");
}

// pymalloc's block sizes are read from its pool headers: every request up to 512 bytes must be
// counted as exactly its size class, and larger ones in RAW, where pymalloc sends them.
void pymalloc_block_sizes_are_size_classes() {
    start_python(AllocatorKind::pymalloc);
    const size_t alignment = sizeof(void*) > 4 ? 16 : 8;
    for (size_t n = 1; n <= 512; ++n) {
        StatsSnapshot before = stats_snapshot();
        void* p = PyObject_Malloc(n);
        StatsSnapshot after = stats_snapshot();
        size_t expected = (n + alignment - 1) / alignment * alignment;
        REQUIRE(
            after.domains[int(Domain::obj)].bytes_current - before.domains[int(Domain::obj)].bytes_current == expected,
            30);
        PyObject_Free(p);
        REQUIRE(
            stats_snapshot().domains[int(Domain::obj)].bytes_current == before.domains[int(Domain::obj)].bytes_current,
            31);
    }
    StatsSnapshot before = stats_snapshot();
    void* big = PyObject_Malloc(100000);
    StatsSnapshot after = stats_snapshot();
    REQUIRE(after.domains[int(Domain::obj)].bytes_current == before.domains[int(Domain::obj)].bytes_current, 32);
    REQUIRE(after.domains[int(Domain::raw)].bytes_current - before.domains[int(Domain::raw)].bytes_current >= 100000,
            33);
    REQUIRE(after.domains[int(Domain::obj)].allocs == before.domains[int(Domain::obj)].allocs + 1, 34);
    PyObject_Free(big);
    std::exit(0);
}

TEST(PymemGlue, PymallocBlockSizesAreSizeClasses) {
    EXPECT_EXIT(pymalloc_block_sizes_are_size_classes(), ::testing::ExitedWithCode(0), "");
}

// A block allocated before the install goes back to the allocator that served it, counted or not.
void block_from_before_the_install_is_freed_by_its_allocator(AllocatorKind kind, bool count) {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    REQUIRE(!PyStatus_Exception(Py_PreInitialize(&pre)), 40);
    void* early = PyMem_RawMalloc(1000);
    void* early_obj = PyObject_Realloc(PyObject_Malloc(100), 200);
    REQUIRE(install_allocator(kind, false, count).error == InstallError::none, 41);
    REQUIRE(install_allocator(AllocatorKind::malloc, false, count).error == InstallError::already_installed, 42);
    REQUIRE(allocator_is_counted() == count, 43);
    StatsSnapshot before = stats_snapshot();
    PyMem_RawFree(early);                          // glibc's block: mimalloc or the arena would crash on it
    early_obj = PyObject_Realloc(early_obj, 300);  // pymalloc's block
    PyObject_Free(early_obj);
    StatsSnapshot after = stats_snapshot();
    REQUIRE(after.domains[int(Domain::raw)].frees == before.domains[int(Domain::raw)].frees, 44);
    REQUIRE(after.domains[int(Domain::obj)].frees == before.domains[int(Domain::obj)].frees, 45);
    std::exit(0);
}

TEST(PymemGlue, BlockFromBeforeTheInstallIsFreedByItsAllocator) {
    EXPECT_EXIT(block_from_before_the_install_is_freed_by_its_allocator(AllocatorKind::mimalloc, true),
                ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(block_from_before_the_install_is_freed_by_its_allocator(AllocatorKind::mimalloc, false),
                ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(block_from_before_the_install_is_freed_by_its_allocator(AllocatorKind::arena, true),
                ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(block_from_before_the_install_is_freed_by_its_allocator(AllocatorKind::arena, false),
                ::testing::ExitedWithCode(0), "");
}

// Without counting, pymalloc and malloc are CPython's own sets: CPython recognises them by name.
void uncounted_choice_is_cpythons_own(AllocatorKind kind, const char* cpython_name) {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    REQUIRE(!PyStatus_Exception(Py_PreInitialize(&pre)), 50);
    REQUIRE(install_allocator(kind, false, false).error == InstallError::none, 51);
    const char* name = _PyMem_GetCurrentAllocatorName();
    REQUIRE(name != nullptr && std::string(name) == cpython_name, 52);
    std::exit(0);
}

TEST(PymemGlue, UncountedChoiceIsCpythonsOwn) {
    EXPECT_EXIT(uncounted_choice_is_cpythons_own(AllocatorKind::pymalloc, "pymalloc"), ::testing::ExitedWithCode(0),
                "");
    EXPECT_EXIT(uncounted_choice_is_cpythons_own(AllocatorKind::malloc, "malloc"), ::testing::ExitedWithCode(0), "");
}

// pymalloc_indirect is pymalloc (its blocks are pymalloc's: sys.getallocatedblocks counts them),
// behind a pointer CPython does not recognise as its own, so python3.11's inlined copies of pymalloc
// are not taken.
void pymalloc_indirect_is_pymalloc_behind_a_pointer() {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    REQUIRE(!PyStatus_Exception(Py_PreInitialize(&pre)), 60);
    REQUIRE(install_allocator(AllocatorKind::pymalloc_indirect, false, false).error == InstallError::none, 61);
    REQUIRE(_PyMem_GetCurrentAllocatorName() == nullptr, 62);
    REQUIRE(std::string(installed_allocator_name()) == "pymalloc-indirect", 63);
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    REQUIRE(!PyStatus_Exception(Py_InitializeFromConfig(&config)), 64);
    PyConfig_Clear(&config);
    REQUIRE(PyRun_SimpleString("import sys\n"
                               "before = sys.getallocatedblocks()\n"
                               "x = [object() for i in range(100000)]\n"
                               "assert sys.getallocatedblocks() - before >= 100000\n"
                               "del x\n"
                               "assert sys.getallocatedblocks() - before < 1000\n") == 0,
            65);
    REQUIRE(Py_FinalizeEx() == 0, 69);
    std::exit(0);
}

TEST(PymemGlue, PymallocIndirectIsPymallocBehindAPointer) {
    EXPECT_EXIT(pymalloc_indirect_is_pymalloc_behind_a_pointer(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace shrinkpy::alloc

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    return RUN_ALL_TESTS();
}
