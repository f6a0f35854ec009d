#include "exit_report.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memory_sampler.hpp"
#include "report.hpp"
#include "shrinkpy/alloc/backend.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace shrinkpy::runtime {
namespace {

// Heap-allocated and never destroyed: a static destructor would join the sampler thread in forked
// children too, where it does not exist.
ReportRequest* request = nullptr;
PrivateMemorySampler* sampler = nullptr;
Timeline* timeline = nullptr;
pid_t owner_pid = 0;
timespec started{};

double seconds_since(const timespec& t0) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return double(now.tv_sec - t0.tv_sec) + double(now.tv_nsec - t0.tv_nsec) / 1e9;
}

double cpu_seconds() {
    struct rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

bool write_file(const std::string& path, const std::string& text, const char* what) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
        std::fprintf(stderr, "shrinkpython: cannot write the %s to %s: %s\n", what, path.c_str(), std::strerror(errno));
        return false;
    }
    return true;
}

// The program may chdir; a relative path means what it meant where the user typed it.
std::string absolute(std::string path) {
    if (path.empty() || path == "-" || path[0] == '/') return path;
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) path = std::string(cwd) + "/" + path;
    return path;
}

uint64_t allocated_bytes() { return alloc::stats_snapshot().bytes_current; }

void write_outputs() {
    if (request == nullptr || getpid() != owner_pid) return;
    sampler->stop();
    if (timeline != nullptr) write_file(request->timeline, timeline->to_json(request->sample_interval_ms), "timeline");
    if (request->destination.empty()) return;
    Report r;
    const char* name = alloc::installed_allocator_name();
    r.allocator = name ? name : "none";
    r.debug_hooks = request->debug_hooks;
    r.argv = request->argv;
    r.pid = owner_pid;
    r.peak_rss_bytes = peak_rss_bytes();
    r.peak_private_bytes = sampler->peak_bytes();
    r.private_samples = sampler->samples();
    r.sample_interval_ms = request->sample_interval_ms;
    r.wall_seconds = seconds_since(started);
    r.cpu_seconds = cpu_seconds();
    r.stats = alloc::stats_snapshot();
    alloc::ArenaStats arena;
    if (alloc::arena_stats(&arena)) r.arena = arena;
    r.early_free = early_free_summary();
    r.imports = import_summary();

    if (request->destination == "-") {
        std::string text = format_report_text(r);
        std::fflush(stderr);
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
        return;
    }
    write_file(request->destination, format_report_json(r), "report");
}

}  // namespace

void arm_exit_report(ReportRequest req) {
    clock_gettime(CLOCK_MONOTONIC, &started);
    req.destination = absolute(std::move(req.destination));
    req.timeline = absolute(std::move(req.timeline));
    request = new ReportRequest(std::move(req));
    sampler = new PrivateMemorySampler();
    if (!request->timeline.empty()) {
        uint64_t committed = 0, released = 0;
        bool arena = alloc::arena_counters(&committed, &released);
        timeline = new Timeline(size_t{1} << 15, arena, request->early_frees != nullptr);
        sampler->record_into(timeline, allocated_bytes, arena ? alloc::arena_counters : nullptr, request->early_frees);
    }
    owner_pid = getpid();
    sampler->start(request->sample_interval_ms);
    std::atexit(write_outputs);
}

}  // namespace shrinkpy::runtime
