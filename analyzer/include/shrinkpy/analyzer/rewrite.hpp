// ====================================================================================================
// The early-freeing rewriter: a module's code object in, the co_code, co_exceptiontable,
// co_linetable and co_stacksize of every code object of it that changed out, with a record of
// every release inserted and every code object skipped (and why).
//
// For each code object, release_plan.hpp decides where releases go; the rewriter inserts them
// into the instruction list and then decides their form on the rewritten code, where its own
// earlier releases are visible:
//   DELETE_FAST x / DELETE_NAME x         where x is definitely bound (it cannot raise);
//   LOAD_CONST None; STORE_FAST x          where x is bound on some path only (it cannot raise; x
//                                          stays visibly bound to None, which only frame
//                                          inspection could see);
//   nothing                                where x is unbound on every path.
// With ReleasePolicy::count_releases (`shrinkpy run --timeline`), each release is followed by
//   PUSH_NULL; LOAD_CONST counter; PRECALL 0; CALL 0; POP_TOP
// where `counter` is a constant the caller appends to co_consts (a built-in function that counts),
// so a timeline can show when releases ran. It costs a call per release: never in normal runs.
// An inserted instruction takes the source position of its neighbour (co_lines() keeps its lines)
// and the try region of the instruction it follows. The result is checked before it is returned:
// the re-decoded code must equal the intended instructions (assemble()), every DELETE must find
// its variable definitely bound, and no variable may be read after its release on any path,
// exception edges included. A code object failing any check is left unmodified and reported.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"
#include "shrinkpy/analyzer/release_plan.hpp"

namespace shrinkpy::analyzer {

// Bumped whenever the rewriter can produce different code for the same input (cache key).
inline constexpr const char* kRewriterVersion = "2";

struct Release {
    std::string qualname;
    std::int32_t line = -1;  // the line of the instruction the release follows (or starts)
    std::string name;        // the variable
    ReleaseKind kind = ReleaseKind::after_last_use;
    bool maybe_unbound = false;  // the `LOAD_CONST None; STORE` form
};

struct Skip {
    std::string qualname;
    std::int32_t line = -1;  // co_firstlineno
    std::string rule;        // release_plan.hpp's rule id
    std::string reason;
};

struct RewrittenCode {
    bool changed = false;  // this code object itself (children may change on their own)
    std::string code, exceptiontable, linetable;
    std::int32_t stacksize = 0;
    bool append_counter = false;          // co_consts needs the release counter appended (index = old size)
    bool append_none = false;             // co_consts needs None appended after it (index = the new size)
    std::vector<RewrittenCode> children;  // one per code constant, in co_consts order
    bool any_changed() const;
};

struct RewriteResult {
    RewrittenCode root;
    std::vector<Release> releases;
    std::vector<Skip> skips;
    std::size_t code_objects = 0;  // code objects the policy considered (functions, __main__'s module level)
    std::size_t rewritten = 0;     // code objects that got at least one release
};

// `module` must be a module's code object (the analysis needs the whole module). Errors are
// only for input that is not a 3.11 code object at all; a code object the rewriter cannot handle
// is a Skip with rule "error".
Result<RewriteResult> rewrite_module(const CodeObject& module, const ReleasePolicy& policy);

}  // namespace shrinkpy::analyzer
