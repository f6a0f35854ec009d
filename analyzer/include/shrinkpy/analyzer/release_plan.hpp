// ====================================================================================================
// The early-freeing policy: which code objects may be rewritten, and where in each the release
// of a variable goes. DESIGN.md ("Early-freeing policy") has the policy; this is its rules as code.
//
// A code object is skipped when its locals can be observed from outside its bytecode (the rules
// "locals", "vars", "eval", "exec", "breakpoint", "dir", "getframe", "currentframe", "frames",
// "super"; frame_observers() in analysis.hpp), when a `# shrinkpy: keep` pragma is on its first
// line ("pragma") or it is decorated with @shrinkpy.no_early_free ("no_early_free"), and when it
// could not be analysed ("error"). Class bodies are never rewritten (their names are the class's
// attributes), nor the module level of a module other than __main__ (its names are the module's).
//
// In a rewritten code object, a variable is released
//   after_last_use    right after the load that reads it for the last time on that path;
//   before_operation  the same, when the statement then stores into the same variable
//                     (`x = f(x)`, `x = x * y`): the operand is only on the stack while f or the
//                     operator runs, so the callee can free it and numpy can reuse its buffer;
//   on_entry          at the start of a block where it stops being live without a last read there
//                     (the exit of a loop that read it, the other branch of an if).
// A store never read is left alone: the value dies at the next store or the frame's exit, and a
// post-mortem debugger or error reporter reading the frame after an exception still sees it.
// Only variables that may be freed are released: fast locals (cells and free variables never:
// rule "cells"); for the module level of __main__, names no other code object reads; under the
// safe mode only plain data (provenance.hpp: rules "plain-data", "container-taint", "handles");
// nothing named on a `# shrinkpy: keep` line. A release is skipped where it buys nothing: when no
// call, loop, yield, import or arithmetic can run before the frame exits; inside a loop at the
// load of `x = x + y` into x, where CPython resizes strings in place; inside a loop for a variable
// that never holds anything made there by a call or a build (numbers from arithmetic, the loop's
// elements that the container still holds: a cost every iteration for nothing) and for
// module-level names (a dict deletion every iteration); for variables holding only constants or
// functions.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/provenance.hpp"

namespace shrinkpy::analyzer {

enum class EarlyFreeMode : std::uint8_t { safe, aggressive };

struct PolicyRule {
    std::string_view id;
    std::string_view meaning;
};
// Every rule of the policy by id (README and `shrinkpy analyze --explain` list them).
const std::vector<PolicyRule>& policy_rules();
bool is_policy_rule(std::string_view id);

struct ReleasePolicy {
    EarlyFreeMode mode = EarlyFreeMode::safe;
    bool module_is_main = false;             // the module is __main__: release its module-level names too
    std::vector<std::int32_t> keep_lines;    // lines carrying `# shrinkpy: keep`
    std::vector<std::string> ignored_rules;  // switched off, only to show what a rule prevents
    bool count_releases = false;             // each release also calls a counter (rewrite.hpp), for timelines

    bool ignores(std::string_view rule) const;
    // The resource rules apply: safe mode and not switched off.
    bool applies(std::string_view rule) const { return mode == EarlyFreeMode::safe && !ignores(rule); }
};

enum class ReleaseKind : std::uint8_t { after_last_use, before_operation, on_entry };
const char* release_kind_name(ReleaseKind kind);
const char* release_reason(ReleaseKind kind);

struct PlannedRelease {
    std::uint32_t slot = 0;
    std::uint32_t at = 0;  // on_entry: a block; otherwise the instruction it follows
    ReleaseKind kind = ReleaseKind::after_last_use;
    bool operator==(const PlannedRelease&) const = default;
};

struct CodePlan {
    bool considered = true;  // false for class bodies and the module level of importable modules
    std::string skip_rule;   // non-empty: skipped by this rule
    std::string skip_reason;
    SlotUniverse universe;  // what `slot` indexes: fast locals (with cells when "cells" is off) or names
    std::vector<PlannedRelease> releases;
};

// `provenance` may be null (no plain data is known then); `decorated` says the code object is
// decorated with @shrinkpy.no_early_free.
CodePlan plan_releases(const CodeAnalysis& analysis, bool is_module, const CodeProvenance* provenance, bool decorated,
                       const ReleasePolicy& policy);

}  // namespace shrinkpy::analyzer
