// ====================================================================================================
// analyze_code(): the whole pipeline for one code object and, recursively, the code objects in its
// co_consts: decode -> instructions -> CFG -> may-live, definitely-bound, last uses, entry deaths
// of the fast locals, and the reasons its locals could be observed from outside the bytecode.
// A code object that cannot be analysed carries its Error; its parent and siblings still are.
// ====================================================================================================
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/dataflow.hpp"
#include "shrinkpy/analyzer/debug.hpp"
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/slots.hpp"

namespace shrinkpy::analyzer {

// A reason the frame's locals may be read other than by its own bytecode, and the rule of the
// early-freeing policy it falls under ("locals", "getframe", "frames", "super", ...).
struct Observer {
    std::string rule;
    std::string reason;
};

struct CodeAnalysis {
    const CodeObject* code = nullptr;   // not owned: the caller keeps the tree alive
    std::optional<Error> error;         // set when the code object could not be analysed
    std::unique_ptr<InstrList> instrs;  // heap-held: cfg points at it
    std::unique_ptr<Cfg> cfg;
    SlotUniverse locals;
    Liveness live;
    Boundness bound;
    std::vector<LastUse> last_uses;
    std::vector<EntryDeath> entry_deaths;
    std::vector<Observer> observers;     // why the frame's locals may be seen (locals(), ...)
    std::vector<CodeAnalysis> children;  // nested code objects, in co_consts order
};

struct AnalyzeOptions {
    bool recursive = true;
    bool validate = kRunValidators;  // run every validator (always on at SHRINKPY_DEBUG_LEVEL 3)
};

CodeAnalysis analyze_code(const CodeObject& code, AnalyzeOptions options = {});

// Reasons a code object's fast locals can be read other than by its own bytecode
// (DESIGN.md early-freeing policy): locals()/vars()/eval()/exec()/breakpoint()/dir(),
// sys._getframe, inspect frames, frame and traceback attributes, zero-argument super().
std::vector<Observer> frame_observers(const CodeObject& code, const InstrList& instrs);

// Counts for reports and the benchmark.
struct AnalysisTotals {
    std::size_t code_objects = 0, failed = 0, instructions = 0, blocks = 0, last_uses = 0;
};
AnalysisTotals totals(const CodeAnalysis& analysis);

}  // namespace shrinkpy::analyzer
