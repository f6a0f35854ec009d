#include "report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "memory_sampler.hpp"
#include "timeline.hpp"

namespace shrinkpy::runtime {
namespace {

Report sample_report() {
    Report r;
    r.allocator = "mimalloc";
    r.argv = {"shrinkpython", "-c", "print(\"hi\")"};
    r.pid = 42;
    r.peak_rss_bytes = 12u << 20;
    r.peak_private_bytes = 9u << 20;
    r.private_samples = 1234;
    r.sample_interval_ms = 10;
    r.stats.domains[0].allocs = 5;
    r.stats.domains[2].allocs = 1000000;
    r.stats.domains[2].bytes_current = 3u << 20;
    r.stats.bytes_current = 3u << 20;
    r.stats.bytes_peak = 5u << 20;
    return r;
}

TEST(Report, TextNamesTheAllocatorAndTheNumbers) {
    std::string text = format_report_text(sample_report());
    EXPECT_NE(text.find("allocator              mimalloc"), std::string::npos) << text;
    EXPECT_NE(text.find("12.0 MiB"), std::string::npos) << text;
    EXPECT_NE(text.find("9.0 MiB  (smaps, 1,234 samples every 10 ms)"), std::string::npos) << text;
    EXPECT_NE(text.find("1,000,005"), std::string::npos) << text;
    EXPECT_NE(text.find("current 3.0 MiB, peak 5.0 MiB"), std::string::npos) << text;
}

TEST(Report, ArenaStatisticsAppearWhenTheArenaIsInstalled) {
    Report r = sample_report();
    EXPECT_EQ(format_report_json(r).find(R"("arena")"), std::string::npos);
    alloc::ArenaStats a;
    a.page_size = 16384;
    a.committed_bytes = 4u << 20;
    a.committed_peak_bytes = 100u << 20;
    a.in_use_bytes = 3u << 20;
    a.pages_returned = 6000;
    a.purge_calls = 12;
    a.max_heap_bytes = 64u << 20;
    a.cap_failures = 2;
    a.class_count = 2;
    a.classes[0] = {16, 16384, 1, 3, 10, 1024};
    a.classes[1] = {32, 16384, 0, 0, 0, 0};  // never used: left out
    r.allocator = "arena";
    r.arena = a;
    std::string text = format_report_text(r);
    EXPECT_NE(text.find("holds 4.0 MiB (peak 100.0 MiB), blocks 3.0 MiB, fragmentation 25%"), std::string::npos)
        << text;
    EXPECT_NE(text.find("6,000 pages of 16 KiB in 12 calls"), std::string::npos) << text;
    EXPECT_NE(text.find("64.0 MiB, 2 requests refused"), std::string::npos) << text;
    std::string json = format_report_json(r);
    EXPECT_NE(json.find(R"("fragmentation":0.25)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("classes":[{"block_size":16,"pool_bytes":16384,"pools":1,"pools_peak":3,)"),
              std::string::npos)
        << json;
    EXPECT_EQ(json.find(R"("block_size":32)"), std::string::npos) << json;
    EXPECT_EQ(text.find("overflow"), std::string::npos) << text;  // only when there was one
    r.arena->overflowed = 1234;
    text = format_report_text(r);
    EXPECT_NE(text.find("1,234 requests served by the allocator before the arena"), std::string::npos) << text;
    EXPECT_NE(format_report_json(r).find(R"("overflowed":1234)"), std::string::npos);
}

TEST(Report, JsonCarriesSchemaAndEscapedArgv) {
    std::string json = format_report_json(sample_report());
    EXPECT_NE(json.find(R"("schema":"shrinkpy-report/1")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"j("argv":["shrinkpython","-c","print(\"hi\")"])j"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("count":1000005)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("peak_rss_bytes":12582912)"), std::string::npos) << json;
}

TEST(Report, EarlyFreeingSaysWhatWasReleasedAndWhy) {
    Report r = sample_report();
    EXPECT_NE(format_report_text(r).find("early freeing          off"), std::string::npos);
    EXPECT_NE(format_report_json(r).find(R"("early_free":{"mode":"off"})"), std::string::npos);
    r.early_free.mode = "safe";
    r.early_free.scope = "user";
    r.early_free.modules = 3;
    r.early_free.code_objects = 7;
    r.early_free.releases = 1234;
    r.early_free.skipped = {{"locals", 2}, {"super", 1}};
    r.early_free.errors = {"app: f: could not be rewritten"};
    const std::string text = format_report_text(r);
    EXPECT_NE(text.find("safe, scope user: 1,234 releases in 7 code objects of 3 modules; skipped 3 code objects "
                        "(locals 2, super 1)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    not rewritten        app: f: could not be rewritten\n"), std::string::npos) << text;
    const std::string json = format_report_json(r);
    EXPECT_NE(json.find(R"("early_free":{"mode":"safe","scope":"user","modules":3,"code_objects":7,"releases":1234,)"
                        R"("skipped":{"locals":2,"super":1},"errors":["app: f: could not be rewritten"]})"),
              std::string::npos)
        << json;
}

TEST(MemorySampler, ReadsThisProcess) {
    auto now = private_memory_bytes();
    ASSERT_TRUE(now);
    EXPECT_GT(*now, 0u);
    EXPECT_GE(peak_rss_bytes(), *now / 2);
}

TEST(MemorySampler, SeesAPeakThatIsGoneAgain) {
    PrivateMemorySampler sampler;
    sampler.start(1);
    uint64_t before = *private_memory_bytes();
    {
        std::vector<char> spike(64u << 20, 1);  // touched, so private and resident
        timespec pause{0, 50 * 1000 * 1000};
        nanosleep(&pause, nullptr);
        EXPECT_EQ(spike[12345], 1);
    }
    sampler.stop();
    EXPECT_GE(sampler.peak_bytes(), before + (60u << 20));
    EXPECT_GE(sampler.samples(), 5u);
}

TEST(Timeline, KeepsAnEvenCoarserPictureWhenFull) {
    Timeline t(8);
    for (uint64_t i = 0; i < 8; ++i) t.record({i * 10, i, i, i});
    ASSERT_EQ(t.size(), 8u);
    t.record({80, 8, 8, 8});  // full: every other sample goes, then one in two is kept
    ASSERT_EQ(t.size(), 5u);
    for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].t_ms, i * 20) << i;
    t.record({90, 9, 9, 9});      // skipped (odd)
    t.record({100, 10, 10, 10});  // kept
    ASSERT_EQ(t.size(), 6u);
    EXPECT_EQ(t[5].t_ms, 100u);
    std::string json = t.to_json(10);
    EXPECT_NE(json.find(R"("interval_ms":20)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"({"t_ms":100,"rss_bytes":10,"private_bytes":10,"allocated_bytes":10})"), std::string::npos);
}

TEST(Timeline, AnArenasSamplesCarryItsCommittedBytesAndPagesReleased) {
    Timeline plain(4);
    plain.record({0, 1, 2, 3, 4, 5});
    EXPECT_EQ(plain.to_json(10).find("committed_bytes"), std::string::npos);  // not the arena's: left out
    Timeline arena(4, true);
    arena.record({0, 1, 2, 3, 4, 5});
    EXPECT_NE(
        arena.to_json(10).find(
            R"({"t_ms":0,"rss_bytes":1,"private_bytes":2,"allocated_bytes":3,"committed_bytes":4,"pages_released":5})"),
        std::string::npos)
        << arena.to_json(10);
}

TEST(MemorySampler, ASampleNeverExceedsTheResidentSetAroundIt) {
    EXPECT_EQ(bounded_by_resident(300, 200, 100), 200u);  // a mapping listed twice, then memory freed
    EXPECT_EQ(bounded_by_resident(150, 100, 200), 150u);  // grew while smaps was read
    EXPECT_EQ(bounded_by_resident(150, std::nullopt, 120), 120u);
    EXPECT_EQ(bounded_by_resident(150, std::nullopt, std::nullopt), 150u);  // no VmRSS: as read
}

// What a read of smaps gives when a mapping merged with its neighbour between two chunks of the
// read: the merged mapping again, from the start of the one already listed.
TEST(MemorySampler, AMappingListedAgainCountsOnce) {
    char path[] = "/tmp/shrinkpy-smaps-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const char* smaps =
        "00400000-00401000 r-xp 00000000 fe:00 12 /usr/bin/python3.11\n"
        "Rss:                   4 kB\n"
        "Shared_Clean:          4 kB\n"
        "Private_Clean:         0 kB\n"
        "7f0000000000-7f0000100000 rw-p 00000000 00:00 0\n"
        "Private_Dirty:      1024 kB\n"
        "7f0000000000-7f0000200000 rw-p 00000000 00:00 0\n"  // merged with the next: listed again
        "Private_Dirty:      2048 kB\n"
        "7f0000200000-7f0000300000 rw-p 00000000 00:00 0\n"
        "Private_Dirty:       512 kB\n"
        "Private_Clean:         8 kB\n";
    ASSERT_EQ(write(fd, smaps, std::strlen(smaps)), ssize_t(std::strlen(smaps)));
    close(fd);
    EXPECT_EQ(smaps_private_bytes(path), (1024u + 512 + 8) * 1024);
    EXPECT_EQ(smaps_private_bytes(path, "/usr/bin/python3.11"), (4u + 1024 + 512 + 8) * 1024);
    unlink(path);
}

TEST(MemorySampler, CountsItsOwnExecutableAsPrivateWhenAsked) {
    uint64_t plain = *private_memory_bytes(0, false);
    uint64_t own = *private_memory_bytes(0, true);
    EXPECT_GE(own + (64u << 10), plain);  // never less (modulo pages that changed in between)
}

}  // namespace
}  // namespace shrinkpy::runtime
