// shrinkpython's main: a drop-in python3.11 that installs shrinkpy's allocator before the
// interpreter starts and reports memory at exit. static_main.cpp calls it as the program's main (the
// trimmed interpreters); preload.cpp as the main of Debian's own python3.11 (launcher.cpp).
//
// The order is CPython's documented embedding contract (gh-96997):
//   1. Py_PreInitializeFromBytesArgs: reads -E/-I/-X dev/-X utf8 and PYTHONMALLOC exactly as
//      python3.11 does, and installs CPython's allocators;
//   2. install ours for RAW, MEM and OBJ (allocator/pymem_glue.hpp). Not before step 1: pre-init
//      would replace them whenever PYTHONMALLOC or -X dev is given;
//   3. Py_InitializeFromConfig with the same argv, parse_argv on, then Py_RunMain, which handles -c,
//      -m, scripts, stdin, the REPL and exit codes exactly like python3.11's own main. Early freeing
//      (early_free.hpp) registers its built-in module before and installs its hooks in between.
#include <Python.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "allocator_module.hpp"
#include "allocator_options.hpp"
#include "early_free.hpp"
#include "exit_report.hpp"
#include "options.hpp"
#include "run.hpp"
#include "shrinkpy/alloc/backend.hpp"
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

// The allocator CPython chose at pre-initialization, or nullptr for its default (pymalloc, no debug
// hooks, in Debian's release build): only PYTHONMALLOC, PYTHONDEVMODE and -X dev change it
// (Python/preconfig.c), so CPython is asked only when one of them could be there.
// _PyMem_GetCurrentAllocatorName lies in 64 KiB of python3.11's text that its own start-up never
// runs: asking costs that much RSS at every start.
const char* cpython_allocator_choice(int argc, char** argv) {
    bool maybe = std::getenv("PYTHONMALLOC") != nullptr || std::getenv("PYTHONDEVMODE") != nullptr;
    for (int i = 1; i < argc && !maybe; ++i) maybe = std::strstr(argv[i], "dev") != nullptr;
    return maybe ? alloc::cpython_allocator_name() : nullptr;
}

// SHRINKPY_GC_THRESHOLD, when it differs from CPython's default: gc.set_threshold(n), keeping the
// older generations' thresholds. 3.11 has no C API for it, so through the gc module (built in).
bool apply_gc_threshold(const Options& options) {
    if (options.source(OptionId::gc_threshold) == OptionSource::built_in_default) return true;
    PyObject* gc = PyImport_ImportModule("gc");
    PyObject* old = gc ? PyObject_CallMethod(gc, "get_threshold", nullptr) : nullptr;
    PyObject* done = nullptr;
    if (old != nullptr && PyTuple_Check(old) && PyTuple_GET_SIZE(old) == 3) {
        done =
            PyObject_CallMethod(gc, "set_threshold", "KOO", (unsigned long long)options.number(OptionId::gc_threshold),
                                PyTuple_GET_ITEM(old, 1), PyTuple_GET_ITEM(old, 2));
    }
    Py_XDECREF(done);
    Py_XDECREF(old);
    Py_XDECREF(gc);
    if (done == nullptr) PyErr_Print();
    return done != nullptr;
}

// A heap cap too small for the interpreter's own start-up makes CPython stop with a fatal error that
// does not name the cap (at SHRINKPY_MAX_HEAP=2M: "init_import_site: Failed to import the site
// module"): say what happened before CPython does.
void explain_start_under_cap(const Options& options) {
    alloc::ArenaStats stats;
    if (!alloc::arena_stats(&stats) || stats.max_heap_bytes == 0 || stats.cap_failures == 0) return;
    std::fprintf(stderr,
                 "shrinkpython: the interpreter could not start within SHRINKPY_MAX_HEAP=%s: %llu request%s "
                 "refused with %.1f MiB held; python3.11 needs a few MiB to start: raise the cap or unset it\n",
                 options.text(OptionId::max_heap).c_str(), (unsigned long long)stats.cap_failures,
                 stats.cap_failures == 1 ? " was" : "s were", double(stats.committed_bytes) / double(alloc::kMiB));
}

}  // namespace

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

    const char* cpython_choice = cpython_allocator_choice(argc, argv);
    bool debug_hooks = cpython_choice != nullptr && std::strstr(cpython_choice, "debug") != nullptr;
    const std::string& report = options.output_path(OptionId::report);
    const std::string& timeline = options.output_path(OptionId::timeline);
    bool observed = !report.empty() || !timeline.empty();
    alloc::AllocatorKind kind = choose_allocator(options, cpython_choice);
    alloc::ArenaConfig arena = arena_config(options);
    if (kind == alloc::AllocatorKind::arena) warn_about_adjustments(arena);
    alloc::InstallResult installed = alloc::install_allocator(kind, debug_hooks, /*count=*/observed, arena);
    if (installed.error == alloc::InstallError::backend_unavailable && kind == alloc::AllocatorKind::arena) {
        // Under a tight `ulimit -v` (the arena reserves address space: allocator/src/region.cpp) the
        // program runs under pymalloc, as under python3.11, rather than not at all. Nothing was installed.
        std::fprintf(stderr, "shrinkpython: warning: SHRINKPY_ALLOCATOR=arena: %s; using pymalloc\n",
                     installed.message);
        kind = alloc::AllocatorKind::pymalloc;
        installed = alloc::install_allocator(kind, debug_hooks, /*count=*/observed, arena);
    }
    if (installed.error != alloc::InstallError::none) {
        std::fprintf(stderr, "shrinkpython: SHRINKPY_ALLOCATOR=%s: %s\n", options.text(OptionId::allocator).c_str(),
                     installed.message);
        return 2;
    }

    register_allocator_module();
    std::vector<std::string> early_free_warnings;
    prepare_early_free(options, early_free_warnings);
    for (const std::string& w : early_free_warnings) std::fprintf(stderr, "shrinkpython: warning: %s\n", w.c_str());

    if (observed) {
        arm_exit_report({report, timeline, options.number(OptionId::sample_interval),
                         std::vector<std::string>(argv, argv + argc), debug_hooks, early_free_counter()});
    }

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        explain_start_under_cap(options);
        Py_ExitStatusException(status);
    }
    if (!apply_gc_threshold(options)) return 2;
    if (kind == alloc::AllocatorKind::arena) alloc::watch_full_collections();
    start_early_free();
    return Py_RunMain();
}

}  // namespace shrinkpy::runtime
