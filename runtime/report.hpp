// The report shrinkpython writes at exit when SHRINKPY_REPORT is set: on stderr for '-', as JSON
// for a path (schema: python/shrinkpy/report.schema.json, "shrinkpy-report/1").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shrinkpy/alloc/arena_config.hpp"
#include "shrinkpy/alloc/stats.hpp"

namespace shrinkpy::runtime {

// What early freeing did in this process (runtime/early_free_module.cpp counts it as modules load).
struct EarlyFreeSummary {
    std::string mode = "off";                 // SHRINKPY_EARLY_FREE in effect: off, safe, aggressive
    std::string scope;                        // SHRINKPY_REWRITE: main, user, all
    uint64_t modules = 0;                     // modules (and __main__) that went through the rewriter
    uint64_t code_objects = 0;                // code objects that got at least one release
    uint64_t releases = 0;                    // releases inserted
    std::map<std::string, uint64_t> skipped;  // policy rule -> code objects it skipped
    std::vector<std::string> errors;          // "module: qualname: reason" for rule "error" (first 20)
};

// The summary the running process fills; the exit report reads it.
EarlyFreeSummary& early_free_summary();

// What the import pass did (runtime/import_pass_module.cpp fills it as modules load and as
// deferred imports run).
struct DeferredImport {
    std::string where;    // "file.py:12", where the import statement is
    std::string module;   // as written, without the dots of a relative import
    std::string name;     // the name a from-import takes from it, "" for `import`
    bool loaded = false;  // the program used it, so the module was imported
};

struct ImportSummary {
    std::string mode = "off";             // SHRINKPY_IMPORTS in effect: off, defer, drop
    uint64_t modules = 0;                 // modules (and __main__) that went through the pass
    uint64_t deferred = 0;                // import bindings rewritten to a deferred import
    uint64_t dropped = 0;                 // import bindings removed (never read)
    std::vector<DeferredImport> proxies;  // every deferred import the program executed
};

ImportSummary& import_summary();

struct Report {
    std::string allocator;          // the installed allocator's name
    bool debug_hooks = false;       // CPython's debug hooks on top (PYTHONMALLOC=debug, -X dev)
    std::vector<std::string> argv;  // as the process received it
    int64_t pid = 0;
    uint64_t peak_rss_bytes = 0;      // VmHWM
    uint64_t peak_private_bytes = 0;  // highest sampled Private_Clean + Private_Dirty
    uint64_t private_samples = 0;     // how many samples that peak is the maximum of
    uint64_t sample_interval_ms = 0;
    double wall_seconds = 0;  // from launcher start to the report
    double cpu_seconds = 0;   // user + system
    alloc::StatsSnapshot stats;
    std::optional<alloc::ArenaStats> arena;  // when the arena is the allocator
    EarlyFreeSummary early_free;
    ImportSummary imports;
};

std::string format_report_text(const Report& report);
std::string format_report_json(const Report& report);

// What shrinkpy.allocator_stats() returns: {"allocator": name or null, "allocations": the report's
// "allocations" object when counting, else null, "arena": the report's "allocator.arena" object when
// the arena is installed, else null} (schema: report.schema.json, $defs/allocator_stats).
std::string format_allocator_stats_json(const char* allocator, const alloc::StatsSnapshot* counted,
                                        const alloc::ArenaStats* arena);

}  // namespace shrinkpy::runtime
