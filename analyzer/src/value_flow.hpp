// ====================================================================================================
// ValueFlow: an abstract interpretation of one code object that follows, for every value on the
// operand stack, whether it is plain data, what it is known to be (a module, a library function,
// a function of this module) and which variable it came from. Internal to provenance.cpp, which
// runs it over a whole module to a fixed point (provenance.hpp has the rules in prose).
//
// Variables are flow-insensitive: a variable is plain when every value stored into it is plain
// and nothing non-plain is put inside what it holds (x.append(v), x[k] = v, x.attr = v). Two
// variables that may hold the same object (y = x, y = x[0], y = x.get(k)) share one verdict.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/slots.hpp"

namespace shrinkpy::analyzer::detail {

inline constexpr std::uint32_t kNoName = 0xFFFFFFFFu;
inline constexpr std::uint32_t kUnsetRef = 0xFFFFFFFEu;  // nothing seen yet (the top of the ref lattice)

// Qualified names ("json.loads", "builtins.len") interned per module analysis.
class NameTable {
public:
    std::uint32_t intern(const std::string& name);
    const std::string& text(std::uint32_t id) const { return names_[id]; }

private:
    std::vector<std::string> names_;
    std::unordered_map<std::string, std::uint32_t> index_;
};

// Where a value came from, so that what is done to it can be charged to a variable.
struct Origin {
    enum class Kind : std::uint8_t { none, var, global, cell };
    Kind kind = Kind::none;
    std::uint32_t id = 0;  // var: slot; global: interned name; cell: index into Summaries::cells
    bool operator==(const Origin&) const = default;
};

struct Value {
    bool plain = false;
    bool null = false;                     // the NULL of LOAD_GLOBAL/PUSH_NULL
    std::uint32_t ref = kNoName;           // a module or library object by qualified name
    const CodeObject* code = nullptr;      // a function made from this code object
    std::uint32_t method = kNoName;        // LOAD_METHOD's callable: the method name
    Origin origin;                         // LOAD_METHOD's callable: the receiver's origin
    bool receiver_plain = false;           // LOAD_METHOD's callable
    std::uint32_t receiver_ref = kNoName;  // LOAD_METHOD's callable
    std::int32_t constant = -1;            // co_consts index of a LOAD_CONST
    std::int32_t handle_of = -1;           // a handle (address, fd) of this variable's object
    bool handle_loaded = false;            // ... read from a variable that holds it (release_plan.cpp
                                           // keeps the source alive to the consuming instruction)
    std::int32_t loaded_at = -1;           // the LOAD_FAST that pushed it
    bool made = false;                     // made here by a call, a container or string build, or
                                           // arithmetic on such a value: possibly large

    bool operator==(const Value&) const = default;
};

// What one code object looks like from outside: filled over the whole module by provenance.cpp.
struct FunctionSummary {
    bool returns_plain = true;                 // every RETURN_VALUE (and YIELD_VALUE of a genexpr) is plain
    bool callers_known = false;                // every call site is in this module and seen (params below)
    std::vector<std::uint8_t> params_plain;    // per argument slot: every caller passes plain data
    std::vector<std::uint32_t> params_ref;     // per argument slot: what every caller passes (a module, ...)
    std::vector<std::uint8_t> params_tainted;  // per argument slot: the function puts non-plain data in it
    bool defaults_plain = true;                // MAKE_FUNCTION's defaults
};

// The module-wide environment a function sees.
struct GlobalValue {
    Value value;
    bool known = false;  // stored exactly once by the module's code and never by a function
};

struct Environment {
    NameTable* names = nullptr;
    std::unordered_map<std::string, GlobalValue> globals;
    bool builtins_known = true;  // no star import, no function rebinding builtins
    std::unordered_map<const CodeObject*, FunctionSummary>* summaries = nullptr;
    // Cells: (owner code, name) -> plain; free variables resolve to their owner's cell.
    std::vector<std::uint8_t>* cells_plain = nullptr;
    std::vector<std::uint32_t>* cells_ref = nullptr;  // what every store into the cell agrees it is
    std::unordered_map<const CodeObject*, std::vector<std::int32_t>>* cell_of_slot = nullptr;
    bool handle_rule = true;  // the derived-value rule (off only to show the hazard it prevents)
    bool taint_rule = true;   // containers with non-plain contents are not plain
};

// What the final pass learnt about one code object.
struct FlowFacts {
    std::vector<std::uint8_t> plain;           // per variable
    std::vector<std::uint8_t> tainted;         // per variable: non-plain data was put into it
    std::vector<std::uint8_t> holds_function;  // per variable: a function object is stored in it
    std::vector<std::uint8_t> holds_other;     // per variable: something not a constant is stored in it
    std::vector<std::uint8_t> holds_made;      // per variable: a made value is stored in it (see Value)
    std::vector<std::int32_t> handle_of;       // per variable: it holds a handle of that variable
    std::vector<std::uint8_t> pinned;          // per variable: a handle of it escapes our view
    std::vector<std::uint8_t> inplace_concat;  // per instruction: LOAD of `x = x + y` into x
    std::vector<std::string> why_not;          // per variable: first reason it is not plain
    // Observed call sites and effects, merged into the summaries by the driver.
    struct CallSite {
        const CodeObject* callee = nullptr;
        std::vector<std::uint8_t> args_plain;  // positional arguments
        std::vector<std::uint32_t> args_ref;
        bool exact = true;  // positional only, no *args/**kwargs/keywords
    };
    std::vector<CallSite> calls;
    std::vector<const CodeObject*> escaped;  // functions whose value went somewhere we cannot follow
    bool returns_plain = true;
    std::vector<std::uint32_t> tainted_globals;  // interned names
    std::vector<std::uint32_t> tainted_cells;
    struct CellStore {
        std::uint32_t cell = 0;
        bool plain = false;
        std::uint32_t ref = kNoName;
    };
    std::vector<CellStore> cell_stores;
    std::vector<std::pair<std::uint32_t, Value>> stores;  // module code: var slot, value stored
    std::vector<const CodeObject*> no_early_free;         // functions given to @shrinkpy.no_early_free
};

// Runs the abstract interpretation of `code` to its fixed point and returns what it learnt.
// `args_plain[i]` says whether argument i (localsplus index i < total_args) holds plain data on
// entry. `vars` is the fast-local universe of a function or the names universe of module code.
// `args_ref[i]`, when given, is what every caller passes as argument i (a module passed along).
FlowFacts run_value_flow(const CodeObject& code, const Cfg& cfg, const SlotUniverse& vars,
                         const std::vector<std::uint8_t>& args_plain, const Environment& env,
                         const std::vector<std::uint32_t>& args_ref = {});

}  // namespace shrinkpy::analyzer::detail
