// shrinkpython: a drop-in python3.11 that installs shrinkpy's allocator before the interpreter
// starts and reports memory at exit.
//
// The order is CPython's documented embedding contract (gh-96997):
//   1. Py_PreInitializeFromBytesArgs: reads -E/-I/-X dev/-X utf8 and PYTHONMALLOC exactly as
//      python3.11 does, and installs CPython's allocators;
//   2. install ours for RAW, MEM and OBJ (allocator/pymem_glue.hpp). Not before step 1: pre-init
//      would replace them whenever PYTHONMALLOC or -X dev is given;
//   3. Py_InitializeFromConfig with the same argv, parse_argv on, then Py_RunMain, which handles -c,
//      -m, scripts, stdin, the REPL and exit codes exactly like python3.11's own main.
#include <Python.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "allocator_options.hpp"
#include "exit_report.hpp"
#include "options.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace shrinkpy::runtime {
namespace {

// SHRINKPY_ALLOCATOR decides when given. Otherwise PYTHONMALLOC=malloc[_debug], which pre-init has
// just applied, is kept, so that programs and test suites that ask CPython for malloc get it.
alloc::AllocatorKind choose_allocator(const Options& options, const char* cpython_choice) {
    if (options.source(OptionId::allocator) == OptionSource::environment) {
        return allocator_kind(options.text(OptionId::allocator));
    }
    if (cpython_choice != nullptr && std::strncmp(cpython_choice, "malloc", 6) == 0)
        return alloc::AllocatorKind::malloc;
    return allocator_kind(options.text(OptionId::allocator));
}

// Arena settings the page size or the structure cannot honour are fitted (alloc::normalize); say so.
void warn_about_adjustments(const alloc::ArenaConfig& given) {
    alloc::ArenaConfig used = given;
    if (alloc::normalize(used, size_t(sysconf(_SC_PAGESIZE)))) return;
    std::fprintf(stderr,
                 "shrinkpython: warning: arena settings fitted to this system: SHRINKPY_ARENA_SIZE=%zu "
                 "SHRINKPY_ARENA_LARGE=%zu SHRINKPY_ARENA_RESERVE=%zu SHRINKPY_ARENA_POOL_BLOCKS=%u\n",
                 used.arena_bytes, used.large_threshold, used.reserve_bytes, unsigned(used.pool_blocks));
}

int run(int argc, char** argv) {
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options options = Options::read([](const char* name) { return std::getenv(name); }, warnings, error);
    for (const std::string& w : warnings) std::fprintf(stderr, "shrinkpython: warning: %s\n", w.c_str());
    if (error) {
        std::fprintf(stderr, "shrinkpython: %s\n", error->c_str());
        return 2;
    }
    if (argc >= 2 && std::strncmp(argv[1], "--print-options", 15) == 0) {
        std::fputs(format_options(options, std::strcmp(argv[1], "--print-options=json") == 0).c_str(), stdout);
        return 0;
    }

    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    PyStatus status = Py_PreInitializeFromBytesArgs(&preconfig, argc, argv);
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);

    const char* cpython_choice = alloc::cpython_allocator_name();
    bool debug_hooks = cpython_choice != nullptr && std::strstr(cpython_choice, "debug") != nullptr;
    const std::string& report = options.text(OptionId::report);
    const std::string& timeline = options.text(OptionId::timeline);
    bool observed = !report.empty() || !timeline.empty();
    alloc::AllocatorKind kind = choose_allocator(options, cpython_choice);
    alloc::ArenaConfig arena = arena_config(options);
    if (kind == alloc::AllocatorKind::arena) warn_about_adjustments(arena);
    alloc::InstallResult installed = alloc::install_allocator(kind, debug_hooks, /*count=*/observed, arena);
    if (installed.error != alloc::InstallError::none) {
        std::fprintf(stderr, "shrinkpython: SHRINKPY_ALLOCATOR=%s: %s\n", options.text(OptionId::allocator).c_str(),
                     installed.message);
        return 2;
    }

    if (observed) {
        arm_exit_report({report, timeline, options.number(OptionId::sample_interval),
                         std::vector<std::string>(argv, argv + argc), debug_hooks});
    }

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);
    return Py_RunMain();
}

}  // namespace
}  // namespace shrinkpy::runtime

int main(int argc, char** argv) { return shrinkpy::runtime::run(argc, argv); }
