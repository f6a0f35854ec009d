// Peak private memory, measured the way pyperf's --track-memory does: a thread reads a process's
// smaps every interval and keeps the highest sum of Private_Clean + Private_Dirty. The sum of
// those two fields over all mappings is what /proc/PID/smaps_rollup reports directly (Linux 4.14+);
// smaps itself is the fallback. Also reads the kernel's own peak RSS (VmHWM).
// `pid` 0 means this process.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>

#include <time.h>

#include <sys/types.h>

#include "timeline.hpp"

namespace shrinkpy::runtime {

// Private_Clean + Private_Dirty of a process now, in bytes; nullopt if /proc is unreadable (or the
// process is gone). Allocation-free: safe on the sampler thread and at exit.
//
// `own_executable_private`: also count the pages of the process's own executable file that other
// processes share (Shared_Clean/Shared_Dirty of the mappings of /proc/PID/exe). Used when measuring
// another process: the measuring CLI runs on /usr/bin/python3.11 itself, so that binary's pages
// would count as shared for stock python3.11 and as private for any other interpreter, although on
// a board the program runs alone. Reads the whole smaps then, not smaps_rollup.
std::optional<uint64_t> private_memory_bytes(pid_t pid = 0, bool own_executable_private = false);

// Private_Clean + Private_Dirty summed over a smaps (or smaps_rollup) file, plus Shared_Clean +
// Shared_Dirty of the mappings of `exe` when given; a mapping listed again (see
// memory_sampler.cpp's Mappings) counts once. nullopt when unreadable or without those fields.
std::optional<uint64_t> smaps_private_bytes(const char* path, const char* exe = nullptr);

// VmRSS of a process now, in bytes; nullopt when unreadable.
std::optional<uint64_t> rss_bytes(pid_t pid = 0);

// A private-memory sample bounded by the resident set read just before and just after it. smaps is
// read in chunks, the mmap lock dropped in between, so a mapping that changes between two chunks
// (the arena's pools change protection, large blocks move with mremap) can be listed twice: one
// sensor_pipeline run "peaked" at 252 MiB of private memory with a peak RSS of 140 MiB. Private pages
// (and the executable's, counted with them) are resident pages, so no sample can exceed VmRSS.
uint64_t bounded_by_resident(uint64_t private_bytes, std::optional<uint64_t> rss_before,
                             std::optional<uint64_t> rss_after);

// VmHWM of this process, in bytes; falls back to getrusage's ru_maxrss.
uint64_t peak_rss_bytes();

class PrivateMemorySampler {
public:
    ~PrivateMemorySampler() { stop(); }
    // Samples `pid` (0: this process); see private_memory_bytes for `own_executable_private`.
    void start(uint64_t interval_ms, pid_t pid = 0, bool own_executable_private = false);
    // Also records every sample into `timeline`, with `allocated_bytes()` as the allocator's bytes
    // in use and, for a timeline of the arena, `arena_counters` for its committed bytes and pages
    // returned (read without taking any of the arena's locks), and `early_frees()` for the early
    // frees run so far. Call before start(); all must outlive the sampler.
    void record_into(Timeline* timeline, uint64_t (*allocated_bytes)(),
                     bool (*arena_counters)(uint64_t* committed_bytes, uint64_t* pages_released) = nullptr,
                     uint64_t (*early_frees)() = nullptr) {
        timeline_ = timeline;
        allocated_bytes_ = allocated_bytes;
        arena_counters_ = arena_counters;
        early_frees_ = early_frees;
    }
    void stop();  // joins the thread and takes one last sample
    uint64_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
    uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }

private:
    void sample();
    void run(uint64_t interval_ms);

    pid_t pid_ = 0;
    bool own_executable_private_ = false;
    Timeline* timeline_ = nullptr;
    uint64_t (*allocated_bytes_)() = nullptr;
    bool (*arena_counters_)(uint64_t*, uint64_t*) = nullptr;
    uint64_t (*early_frees_)() = nullptr;
    timespec started_{};
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> peak_{0};
    std::atomic<uint64_t> samples_{0};
};

}  // namespace shrinkpy::runtime
