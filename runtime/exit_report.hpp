// Arms the report for this process: starts the private-memory sampler and registers a C atexit
// handler that writes the report. A C atexit handler, because Py_RunMain does not return when the
// program ends with sys.exit() or an uncaught SystemExit (PyErr_Print -> Py_Exit -> exit()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shrinkpy::runtime {

struct ReportRequest {
    std::string destination;  // "-" for stderr, else a path (made absolute here)
    uint64_t sample_interval_ms = 10;
    std::vector<std::string> argv;
    bool debug_hooks = false;
};

// Call once, after the allocator is installed and before the interpreter starts. A process forked
// from this one does not report (its sampler thread does not exist there).
void arm_exit_report(ReportRequest request);

}  // namespace shrinkpy::runtime
