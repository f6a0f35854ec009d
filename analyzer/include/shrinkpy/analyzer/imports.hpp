// ====================================================================================================
// Module-level facts: which code objects read each module-level name, and, for every import
// statement, where the name it binds is read (static part of unused/deferred imports, issue 9).
//
//   readers      nested code objects (functions, lambdas, comprehensions, class bodies) that load
//                the name as a global (LOAD_GLOBAL, or LOAD_NAME in a class body)
//   module level the module's own code reads the value the import bound: may-live analysis over
//                co_names with deletes not counted as reads
//   exported     listed in a statically known __all__ (a constant tuple or list of strings)
//   dynamic      globals()/vars()/locals()/eval()/exec()/sys._getframe()/f_globals anywhere in the
//                module, or an __all__ built at run time: a name may be read without a load
//
// Import bytecode in 3.11 (compiler_import / compiler_from_import in Python/compile.c):
//   import a.b        LOAD_CONST level; LOAD_CONST None; IMPORT_NAME a.b; STORE a
//   import a.b.c as d ... IMPORT_NAME a.b.c; IMPORT_FROM b; SWAP 2; POP_TOP; IMPORT_FROM c; STORE d; POP_TOP
//   from m import x   LOAD_CONST level; LOAD_CONST ('x',); IMPORT_NAME m; IMPORT_FROM x; STORE x; POP_TOP
//   from m import *   LOAD_CONST level; LOAD_CONST ('*',); IMPORT_NAME m; IMPORT_STAR
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

enum class ImportScope : std::uint8_t { module, function, class_body };
enum class ImportUse : std::uint8_t {
    never,           // the bound value is never read
    functions_only,  // read only inside nested code (a candidate for deferring)
    module_level,    // read by the module's own code
    exported,        // listed in __all__
    unknown,         // star import, dynamic access, class attribute, closure
};
const char* scope_name(ImportScope scope);
const char* use_name(ImportUse use);

struct ImportFact {
    std::string code_qualname;  // code object holding the import statement
    std::uint32_t offset = 0;   // bytes, of the IMPORT_NAME
    std::int32_t line = -1;
    std::string module;      // as written, without the leading dots
    std::int32_t level = 0;  // relative-import dots
    std::string imported;    // from-import: the attribute; "*" for star; "" for import
    std::string bound;       // the name the statement binds ("" for star)
    bool as_module = false;  // `import a.b as c`: binds the submodule a.b, not the package a
    ImportScope scope = ImportScope::module;
    ImportUse use = ImportUse::unknown;
    std::vector<std::string> readers;  // qualnames of code objects reading the bound name
    std::string reason;                // why `use` is what it is
};

struct ModuleImports {
    std::vector<ImportFact> imports;
    std::vector<std::string> all;  // __all__ when static
    bool all_static = true;        // false when __all__ is computed at run time
    std::vector<std::string> dynamic_reasons;
};

Result<ModuleImports> analyze_imports(const CodeObject& module);

struct ModuleNameFact {
    std::string name;
    std::vector<std::string> read_by;          // nested code objects loading it as a global
    std::vector<std::string> written_by;       // nested code objects storing or deleting it (global x)
    bool exported = false;                     // in a static __all__
    bool module_only = false;                  // only the module's own code touches it (and no dynamic access)
    std::vector<std::int32_t> last_use_lines;  // lines of module-level reads after which it is dead
};

struct ModuleNames {
    std::vector<ModuleNameFact> names;  // every name the module's code stores, in co_names order
    std::vector<std::string> dynamic_reasons;
};

Result<ModuleNames> analyze_module_names(const CodeObject& module);

}  // namespace shrinkpy::analyzer
