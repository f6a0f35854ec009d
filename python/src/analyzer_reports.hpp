// ====================================================================================================
// Python-facing reports built from analyzer results: plain structs with tuples of names, so a
// test or the CLI reads them without knowing slot numbers or instruction indices.
// ====================================================================================================
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "shrinkpy/analyzer/analysis.hpp"

namespace shrinkpy::python {

struct InstructionReport {
    int offset = 0;  // bytes, of the first EXTENDED_ARG prefix (as dis's jump targets)
    int opcode = 0;
    std::string opname;
    long long arg = 0;
    int line = -1;  // -1: no line
    int block = 0;
    int depth = -1;  // stack depth before, -1 unreachable
    pybind11::tuple live_before, live_after, bound_before, last_uses;
};

struct CodeReport {
    std::string name, qualname, filename;
    int firstlineno = 0;
    pybind11::object error;  // None or the AnalyzerError describing why it was not analysed
    pybind11::tuple locals;  // tracked fast locals (cells and free variables are not)
    pybind11::tuple observers;
    int stacksize = -1;  // computed from the CFG
    int co_stacksize = 0;
    int unreachable_blocks = 0;   // blocks no edge reaches (e.g. handlers of a try that cannot raise)
    pybind11::list instructions;  // InstructionReport
    pybind11::list deaths;        // (offset, name, bound): dead on entry to the block at offset
    pybind11::list children;      // CodeReport
};

CodeReport make_report(const analyzer::CodeAnalysis& analysis);
pybind11::object error_object(const analyzer::Error& error);
void register_reports(pybind11::module_& m);

}  // namespace shrinkpy::python
