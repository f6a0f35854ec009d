// shrinkpy-measure: runs a command and measures its memory the way a user's tools would, without
// the measuring process leaking into the numbers.
//
// Why a separate small program: Linux folds the peak RSS of a process's image *before* exec into
// the ru_maxrss its parent gets from wait4 (fs/exec.c, exec_mmap -> setmax_mm_hiwater_rss). A
// child forked from the Python CLI would report at least the CLI's own RSS. This program is linked
// statically and allocates almost nothing before it forks, so the pre-exec image it leaves in its
// child is a few pages.
//
//   shrinkpy-measure [--interval MS] [--json PATH] -- COMMAND [ARG...]
//
// The command inherits stdin/stdout/stderr. The measurement goes to PATH as JSON:
//   {"exit_code": int, "signal": int, "peak_rss_bytes": int, "peak_private_bytes": int,
//    "private_samples": int, "sample_interval_ms": int, "wall_seconds": float, "cpu_seconds": float}
// peak_rss_bytes is ru_maxrss (the kernel's VmHWM at exit); peak_private_bytes is the highest
// Private_Clean + Private_Dirty sampled every interval (pyperf's --track-memory), counting the
// command's own executable as private even where another process maps it too (see
// memory_sampler.hpp). Exits with the command's exit code, or 128 + signal.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "json_writer.hpp"
#include "memory_sampler.hpp"
#include "options.hpp"

namespace shrinkpy::runtime {
namespace {

int usage() {
    std::fputs("usage: shrinkpy-measure [--interval MS] [--json PATH] -- COMMAND [ARG...]\n", stderr);
    return 2;
}

double seconds(const timespec& a, const timespec& b) {
    return double(b.tv_sec - a.tv_sec) + double(b.tv_nsec - a.tv_nsec) / 1e9;
}

int run(int argc, char** argv) {
    uint64_t interval_ms = 10;
    const char* json_path = nullptr;
    int i = 1;
    for (; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        }
        if (std::strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            auto n = parse_number(argv[++i]);
            if (!n || *n == 0) return usage();
            interval_ms = *n;
        } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json_path = argv[++i];
        } else {
            return usage();
        }
    }
    if (i >= argc) return usage();

    timespec started{};
    clock_gettime(CLOCK_MONOTONIC, &started);
    pid_t child = fork();
    if (child < 0) {
        std::perror("shrinkpy-measure: fork");
        return 127;
    }
    if (child == 0) {
        execvp(argv[i], argv + i);
        std::fprintf(stderr, "shrinkpy-measure: cannot run %s: %s\n", argv[i], std::strerror(errno));
        _exit(127);
    }
    // Ctrl-C reaches the whole foreground group: let the command decide what it means.
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);

    PrivateMemorySampler sampler;
    sampler.start(interval_ms, child, /*own_executable_private=*/true);
    int status = 0;
    struct rusage usage {};
    while (wait4(child, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    timespec ended{};
    clock_gettime(CLOCK_MONOTONIC, &ended);
    sampler.stop();

    int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (json_path != nullptr) {
        JsonWriter w;
        w.begin_object();
        w.key("exit_code").number(uint64_t(WIFEXITED(status) ? WEXITSTATUS(status) : 0));
        w.key("signal").number(uint64_t(WIFSIGNALED(status) ? WTERMSIG(status) : 0));
        w.key("peak_rss_bytes").number(uint64_t(usage.ru_maxrss) * 1024);
        w.key("peak_private_bytes").number(sampler.peak_bytes());
        w.key("private_samples").number(sampler.samples());
        w.key("sample_interval_ms").number(interval_ms);
        w.key("wall_seconds").number(seconds(started, ended));
        w.key("cpu_seconds")
            .number(double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
        w.end_object();
        std::string json = w.take() + "\n";
        FILE* f = std::fopen(json_path, "w");
        if (f == nullptr || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) {
            std::fprintf(stderr, "shrinkpy-measure: cannot write %s: %s\n", json_path, std::strerror(errno));
            return 127;
        }
    }
    return exit_code;
}

}  // namespace
}  // namespace shrinkpy::runtime

int main(int argc, char** argv) { return shrinkpy::runtime::run(argc, argv); }
