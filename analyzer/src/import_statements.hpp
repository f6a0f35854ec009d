// ====================================================================================================
// Import statements as instruction ranges, for the import facts (imports.cpp), the plan
// (import_plan.cpp) and the rewrite (import_rewrite.cpp). Internal header.
//
// The shapes 3.11 emits (compiler_import / compiler_import_as / compiler_from_import, Python/compile.c):
//   import a.b          LOAD_CONST level; LOAD_CONST None; IMPORT_NAME a.b; STORE a
//   import a.b.c as d   ... IMPORT_NAME a.b.c; IMPORT_FROM b; SWAP 2; POP_TOP; IMPORT_FROM c; STORE d; POP_TOP
//   import a.b as d     ... IMPORT_NAME a.b; IMPORT_FROM b; STORE d; POP_TOP
//   from m import x, y  LOAD_CONST level; LOAD_CONST ('x', 'y'); IMPORT_NAME m; IMPORT_FROM x; STORE x;
//                       IMPORT_FROM y; STORE y; POP_TOP
//   from m import *     LOAD_CONST level; LOAD_CONST ('*',); IMPORT_NAME m; IMPORT_STAR
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer::detail {

struct ImportBinding {
    std::string imported;    // from-import: the attribute; "" for `import`
    std::string bound;       // the name stored
    std::size_t store = 0;   // instruction index of the STORE_*
    bool as_module = false;  // `import a.b as c`: binds the submodule a.b, not the package a
};

struct ImportStatement {
    std::size_t begin = 0;        // first instruction (LOAD_CONST level), or import_name when the
                                  // shape is not the compiler's
    std::size_t import_name = 0;  // the IMPORT_NAME
    std::size_t end = 0;          // one past the last instruction of the statement
    std::string module;           // as written, without the leading dots
    std::int32_t level = 0;
    bool from_import = false;
    bool star = false;
    bool canonical = false;  // exactly one of the shapes above: safe to replace as a whole
    std::vector<ImportBinding> bindings;
};

// Every IMPORT_NAME of `code` (not of nested code objects), in order.
std::vector<ImportStatement> import_statements(const CodeObject& code, const InstrList& list);

}  // namespace shrinkpy::analyzer::detail
