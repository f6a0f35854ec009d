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

#include <sys/types.h>

namespace shrinkpy::runtime {

// Private_Clean + Private_Dirty of a process now, in bytes; nullopt if /proc is unreadable (or the
// process is gone). Allocation-free: safe on the sampler thread and at exit.
std::optional<uint64_t> private_memory_bytes(pid_t pid = 0);

// VmRSS of a process now, in bytes; nullopt when unreadable.
std::optional<uint64_t> rss_bytes(pid_t pid = 0);

// VmHWM of this process, in bytes; falls back to getrusage's ru_maxrss.
uint64_t peak_rss_bytes();

class PrivateMemorySampler {
public:
    ~PrivateMemorySampler() { stop(); }
    void start(uint64_t interval_ms, pid_t pid = 0);
    void stop();  // joins the thread and takes one last sample
    uint64_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
    uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }

private:
    void sample();
    void run(uint64_t interval_ms);

    pid_t pid_ = 0;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> peak_{0};
    std::atomic<uint64_t> samples_{0};
};

}  // namespace shrinkpy::runtime
