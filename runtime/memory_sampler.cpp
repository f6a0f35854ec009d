#include "memory_sampler.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace shrinkpy::runtime {
namespace {

// Calls `on_line(line, length)` for each line of `path`, reading through a fixed buffer, so that
// neither the sampler thread nor the exit path allocates. Lines longer than the buffer are cut.
template <typename F>
bool for_each_line(const char* path, F on_line) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[8192];
    size_t held = 0;
    for (;;) {
        ssize_t n = read(fd, buf + held, sizeof buf - held);
        if (n <= 0) break;
        held += size_t(n);
        size_t start = 0;
        for (size_t i = 0; i < held; ++i) {
            if (buf[i] == '\n') {
                on_line(buf + start, i - start);
                start = i + 1;
            }
        }
        if (start == 0 && held == sizeof buf) {  // a line longer than the buffer: drop it
            held = 0;
            continue;
        }
        std::memmove(buf, buf + start, held - start);
        held -= start;
    }
    if (held > 0) on_line(buf, held);
    close(fd);
    return true;
}

// "Private_Dirty:       123 kB" -> 123 * 1024 when the line starts with `field`.
bool field_kib(const char* line, size_t length, const char* field, uint64_t* bytes) {
    size_t flen = std::strlen(field);
    if (length <= flen || std::strncmp(line, field, flen) != 0) return false;
    uint64_t kib = 0;
    for (size_t i = flen; i < length; ++i) {
        if (line[i] >= '0' && line[i] <= '9')
            kib = kib * 10 + uint64_t(line[i] - '0');
        else if (kib != 0)
            break;
    }
    *bytes = kib * 1024;
    return true;
}

// A mapping's header starts with its lowercase-hex address range "start-end"; field lines with a name.
bool mapping_header(const char* line, size_t length, uint64_t* start, uint64_t* end) {
    if (length == 0 || !((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) return false;
    uint64_t* value = start;
    *start = *end = 0;
    for (size_t i = 0; i < length && line[i] != ' '; ++i) {
        char c = line[i];
        if (c == '-') {
            value = end;
        } else {
            *value = *value * 16 + uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
        }
    }
    return true;
}

// smaps is read in chunks, the mmap lock dropped in between: a mapping that merged with one already
// listed (the arena's pools change protection all the time) comes again from its start. Its pages
// were counted with the first listing; `Mappings` skips the repeat.
struct Mappings {
    uint64_t listed_end = 0;
    bool skipping = false;
    // Whether `line` is a header; then `skipping` says whether this mapping was listed already.
    bool header(const char* line, size_t length) {
        uint64_t start = 0, end = 0;
        if (!mapping_header(line, length, &start, &end)) return false;
        skipping = start < listed_end;
        listed_end = std::max(listed_end, end);
        return true;
    }
};

// "/proc/self/<file>" or "/proc/<pid>/<file>", without allocating.
const char* proc_path(char (&buf)[64], pid_t pid, const char* file) {
    if (pid == 0) {
        std::snprintf(buf, sizeof buf, "/proc/self/%s", file);
    } else {
        std::snprintf(buf, sizeof buf, "/proc/%d/%s", int(pid), file);
    }
    return buf;
}

std::optional<uint64_t> status_field(pid_t pid, const char* field) {
    char path[64];
    uint64_t value = 0;
    bool found = false;
    bool ok = for_each_line(proc_path(path, pid, "status"), [&](const char* line, size_t length) {
        found = field_kib(line, length, field, &value) || found;
    });
    if (!ok || !found) return std::nullopt;
    return value;
}

}  // namespace

std::optional<uint64_t> smaps_private_bytes(const char* path, const char* exe) {
    uint64_t total = 0;
    bool any = false;
    bool in_exe = false;
    size_t exe_len = exe != nullptr ? std::strlen(exe) : 0;
    Mappings mappings;
    bool ok = for_each_line(path, [&](const char* line, size_t length) {
        if (mappings.header(line, length)) {
            in_exe = exe != nullptr && length > exe_len && std::strncmp(line + length - exe_len, exe, exe_len) == 0 &&
                     line[length - exe_len - 1] == ' ';
            return;
        }
        if (mappings.skipping) return;
        uint64_t bytes = 0;
        if (field_kib(line, length, "Private_Clean:", &bytes) || field_kib(line, length, "Private_Dirty:", &bytes) ||
            (in_exe &&
             (field_kib(line, length, "Shared_Clean:", &bytes) || field_kib(line, length, "Shared_Dirty:", &bytes)))) {
            total += bytes;
            any = true;
        }
    });
    if (!ok || !any) return std::nullopt;
    return total;
}

std::optional<uint64_t> private_memory_bytes(pid_t pid, bool own_executable_private) {
    char path[64];
    if (own_executable_private) {
        char exe[4096];
        ssize_t n = readlink(proc_path(path, pid, "exe"), exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            return smaps_private_bytes(proc_path(path, pid, "smaps"), exe);
        }
    }
    if (auto rollup = smaps_private_bytes(proc_path(path, pid, "smaps_rollup"))) return rollup;
    return smaps_private_bytes(proc_path(path, pid, "smaps"));
}

std::optional<uint64_t> rss_bytes(pid_t pid) { return status_field(pid, "VmRSS:"); }

uint64_t bounded_by_resident(uint64_t private_bytes, std::optional<uint64_t> rss_before,
                             std::optional<uint64_t> rss_after) {
    if (!rss_before && !rss_after) return private_bytes;
    return std::min(private_bytes, std::max(rss_before.value_or(0), rss_after.value_or(0)));
}

uint64_t peak_rss_bytes() {
    uint64_t hwm = status_field(0, "VmHWM:").value_or(0);
    if (hwm != 0) return hwm;
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return uint64_t(usage.ru_maxrss) * 1024;
}

void PrivateMemorySampler::start(uint64_t interval_ms, pid_t pid, bool own_executable_private) {
    pid_ = pid;
    own_executable_private_ = own_executable_private;
    clock_gettime(CLOCK_MONOTONIC, &started_);
    sample();
    thread_ = std::thread([this, interval_ms] { run(interval_ms); });
}

void PrivateMemorySampler::stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_relaxed);
    thread_.join();
    sample();
}

void PrivateMemorySampler::sample() {
    std::optional<uint64_t> rss_before = rss_bytes(pid_);
    std::optional<uint64_t> now = private_memory_bytes(pid_, own_executable_private_);
    if (!now) return;
    std::optional<uint64_t> rss_after = rss_bytes(pid_);
    *now = bounded_by_resident(*now, rss_before, rss_after);
    samples_.fetch_add(1, std::memory_order_relaxed);
    if (*now > peak_.load(std::memory_order_relaxed)) peak_.store(*now, std::memory_order_relaxed);
    if (timeline_ != nullptr) {
        timespec t{};
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t ns = int64_t(t.tv_sec - started_.tv_sec) * 1000000000 + (t.tv_nsec - started_.tv_nsec);
        TimelineSample s{uint64_t(ns / 1000000), rss_after.value_or(0), *now,
                         allocated_bytes_ ? allocated_bytes_() : 0};
        if (arena_counters_ != nullptr) arena_counters_(&s.committed_bytes, &s.pages_released);
        if (early_frees_ != nullptr) s.early_frees = early_frees_();
        timeline_->record(s);
    }
}

// Sleeps to absolute deadlines so that the period stays `interval_ms` however long a read takes.
void PrivateMemorySampler::run(uint64_t interval_ms) {
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!stopping_.load(std::memory_order_relaxed)) {
        next.tv_nsec += long(interval_ms % 1000) * 1000000L;
        next.tv_sec += time_t(interval_ms / 1000) + next.tv_nsec / 1000000000L;
        next.tv_nsec %= 1000000000L;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
        sample();
    }
}

}  // namespace shrinkpy::runtime
