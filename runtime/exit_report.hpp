// Arms the report and the timeline for this process: starts the private-memory sampler and
// registers a C atexit handler that writes them. A C atexit handler, because Py_RunMain does not return when the
// program ends with sys.exit() or an uncaught SystemExit (PyErr_Print -> Py_Exit -> exit()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shrinkpy::runtime {

struct ReportRequest {
    std::string destination;  // "-" for stderr, a path (made absolute here), or empty for no report
    std::string timeline;     // a path for the timeline JSON (made absolute here), or empty
    uint64_t sample_interval_ms = 10;
    std::vector<std::string> argv;
    bool debug_hooks = false;
    // For the timeline: the count of early frees run so far, when the rewrite counts them.
    uint64_t (*early_frees)() = nullptr;
};

// Call once, after the allocator is installed and before the interpreter starts. A process forked
// from this one does not report (its sampler thread does not exist there).
void arm_exit_report(ReportRequest request);

}  // namespace shrinkpy::runtime
