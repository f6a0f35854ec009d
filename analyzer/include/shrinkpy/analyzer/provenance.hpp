// ====================================================================================================
// Plain data: which variables of a module's code only ever hold values that cannot own a resource.
//
// The safe early-freeing policy frees a value at its last use only when that value is plain data,
// because freeing is observable for anything else: a TemporaryDirectory deletes its directory, a
// SharedMemory closes its buffer, a socket its descriptor, a lock with __del__ releases, a
// weakref.finalize callback runs, a ctypes buffer goes away under its address. Python gives no way
// to tell those apart from data by looking at the bytecode, so the analysis proves plainness from
// where values come from instead, and everything it cannot prove is left alone:
//
//   plain    literals; what BUILD_*, f-strings, comparisons and arithmetic on plain operands make;
//            comprehensions whose elements are plain; calls of callables known to return data
//            (plain_producers.cpp: len, str, json.loads, re, str methods, read(), ...) or to return
//            containers of their plain arguments (list, sorted, dict.get, numpy, statistics);
//            elements, attributes and method results of plain values; functions of the same module
//            whose every return is plain; arguments of functions whose every caller is visible
//            (comprehensions, nested functions, functions of __main__ nobody else can reach) and
//            passes plain data.
//   tainted  a plain container stops being plain when anything not plain is put into it
//            (x.append(v), x[k] = v, x.attr = v, heapq.heappush(x, v), or by a function of the
//            module), and so does every variable that may hold the same object (y = x, y = x[0]).
//   handles  a value derived from x that stands for x's memory or descriptor without keeping x
//            alive (id(x), ctypes.addressof(x), x.buffer_info(), x.ctypes, x.fileno()) extends x's
//            life to its own last use; when the handle goes where the analysis cannot follow it, x
//            is pinned (never freed early).
//
// The analysis is an abstract interpretation of the operand stack over each CFG (value_flow.hpp),
// run over every code object of the module until function summaries reach a fixed point.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "shrinkpy/analyzer/analysis.hpp"

namespace shrinkpy::analyzer {

struct ProvenanceOptions {
    bool module_is_main = false;  // the module is __main__: no other module calls its functions
    bool handle_rule = true;      // the derived-value rule (off only to show what it prevents)
    bool taint_rule = true;       // containers with non-plain contents (off only to show what it prevents)
};

// Facts for one code object, indexed by the slots of its release universe: fast locals for a
// function, every co_names entry (name_slots()) for module code.
struct CodeProvenance {
    std::vector<std::uint8_t> plain;           // every value it holds is plain data
    std::vector<std::uint8_t> pinned;          // a handle of it escapes: never free it early
    std::vector<std::uint8_t> pointless;       // it only ever holds constants or functions: freeing gains nothing
    std::vector<std::uint8_t> made;            // it may hold a value made here (a call's result, a built
                                               // container or string): possibly large, unlike numbers
                                               // from arithmetic or elements of what a loop iterates
    std::vector<std::int32_t> handle_of;       // it holds a handle of that slot's object (-1 none)
    std::vector<std::uint8_t> inplace_concat;  // per instruction: the LOAD of `x = x + y` into x
    std::vector<std::string> why_not;          // per slot: why it is not plain ("" when it is)
    std::vector<std::uint8_t> cell_plain;      // per localsplus index: a cell of this code holding plain data
};

struct ModuleProvenance {
    std::unordered_map<const CodeObject*, CodeProvenance> codes;  // functions and the module code
    std::vector<const CodeObject*> no_early_free;                 // functions decorated with @shrinkpy.no_early_free
    bool converged = true;
};

// `module` is analyze_code() of the module's code object (with its children).
ModuleProvenance analyze_provenance(const CodeAnalysis& module, ProvenanceOptions options = {});

}  // namespace shrinkpy::analyzer
