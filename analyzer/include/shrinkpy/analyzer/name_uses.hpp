// ====================================================================================================
// How each read of a module-level name is used: what a deferred-import proxy (runtime/
// deferred_imports.py) can stand in for, decided from the bytecode.
//
// The proxy imports on first attribute access, call or isinstance/issubclass check and then
// replaces itself in the module's globals. It is therefore only a faithful stand-in where every
// read of the name is consumed by one of:
//   attribute    the base of LOAD_ATTR / LOAD_METHOD (`json.dumps`, `except mod.Error`)
//   callee       the callable of CALL / CALL_FUNCTION_EX with the NULL of LOAD_GLOBAL below it
//                (`Decimal(x)`; not the `self` slot of a method call)
//   class_check  the second argument of the builtins isinstance/issubclass, alone or in a tuple
//   discarded    POP_TOP (an expression statement)
// Anything else is `unsafe`: compared (`is`, `==`), tested for truth, passed as an argument,
// stored, returned, yielded, subscripted, iterated, caught by `except X:`, formatted, used as a
// base class... The proxy would be seen instead of the object.
//
// Method: a forward abstract interpretation of the operand stack over each code object's CFG
// (name_uses.cpp). A stack slot holds "other", a NULL, or the instruction that loaded a tracked
// name (or built a tuple of them). Values meeting at a join with a different value, and values
// below a try region's depth (they survive into its handler), are unsafe. Unknown opcodes pop
// one value more than their net effect, so a mistake can only make a use unsafe.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

enum class NameUseKind : std::uint8_t { attribute, callee, class_check, discarded, unsafe };
const char* name_use_kind_name(NameUseKind kind);

struct NameUse {
    std::string name;
    std::string code_qualname;  // the code object that reads it
    std::int32_t line = -1;     // of the load
    NameUseKind kind = NameUseKind::unsafe;
    bool at_import_time = false;          // the reading code runs while the module is imported: module
                                          // level, class bodies and comprehensions under it
    std::string detail;                   // for unsafe uses: what happens to the value
    std::vector<std::string> attributes;  // attributes read from it (`os.path` -> path)
};

// Every load of one of `names` as a global (LOAD_GLOBAL; LOAD_NAME in module code and class
// bodies) anywhere in the module's code tree, in code-object then instruction order. A code
// object that cannot be decoded yields one unsafe use per tracked name it mentions.
std::vector<NameUse> global_name_uses(const CodeObject& module, const std::vector<std::string>& names);

}  // namespace shrinkpy::analyzer
