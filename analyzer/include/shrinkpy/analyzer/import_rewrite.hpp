// ====================================================================================================
// The import rewrite pass: applies an ImportPlan (import_plan.hpp) to a module's code object.
//
// A deferred binding's statement becomes, for each name it binds,
//     PUSH_NULL; LOAD_NAME __shrinkpy_defer__; LOAD_CONST (spec); CALL_FUNCTION_EX 0; STORE name
// where spec = (module, attribute or None, level, bound name, as_module, "file.py:line", (also,...))
// and __shrinkpy_defer__ is runtime/deferred_imports.py's `defer`, installed in builtins. The call
// reads the module's globals from its caller's frame, so it needs no argument for them. A dropped
// statement becomes a NOP carrying its line (PEP 626 line events stay the same). `also` lists the
// submodules read through the name without an import of their own (ImportDecision::also_import).
//
// Only module-level statements change, and only the module code object: nested code objects
// are shared with the input, co_names and co_consts only grow at their end.
// ====================================================================================================
#pragma once

#include <cstddef>
#include <string>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"
#include "shrinkpy/analyzer/import_plan.hpp"

namespace shrinkpy::analyzer {

inline constexpr const char* kDeferFunction = "__shrinkpy_defer__";
inline constexpr int kImportRewriteVersion = 3;  // part of the loader's cache key

struct ImportRewrite {
    CodeObject code;  // the module's code object, rewritten (or a copy of the input when !changed)
    ImportPlan plan;
    bool changed = false;
    std::size_t consts_added = 0;  // at the end of code.consts: one spec tuple per deferred binding
    std::size_t names_added = 0;   // at the end of code.names: kDeferFunction when it was missing
};

Result<ImportRewrite> rewrite_imports(const CodeObject& module, const ImportPolicy& policy);

}  // namespace shrinkpy::analyzer
