// ====================================================================================================
// What the import pass does with each import statement of a module, and why (issue 9).
//
// Modes (SHRINKPY_IMPORTS): `defer` (default) binds a proxy instead of importing when the bound
// name is read only inside functions and only in ways the proxy reproduces (name_uses.hpp);
// `drop` also removes imports whose name is never read; `off` changes nothing.
//
// An import stays eager when any of these holds (the reason names the first that does):
//   - it is not at module level, or is a star import, or not in the shape the compiler emits
//   - the module is in the side-effect table (eager_modules.hpp), or the user marked it: the
//     `# shrinkpy: eager` pragma on its line, or ImportPolicy::eager_modules
//   - it sits inside a try or with block (its ImportError or effects are handled there)
//   - the module reads its globals dynamically (globals(), vars(), eval, exec, computed __all__)
//     or defines a module __getattr__ (PEP 562)
//   - its name is exported: in a static __all__, or, for a module other than __main__ with no
//     __all__, any public name (a star import would copy the proxy into another module)
//   - the name is read at module level, or while the module is imported (class bodies and
//     comprehensions at module level), or in a __del__ method (it can run during interpreter
//     shutdown, when imports fail: CPython's test_traceback), or rebound by `global` in a function,
//     or named in a string annotation (typing.get_type_hints would evaluate it to the proxy)
//   - some read of the name is not an attribute base, callee or class check (name_uses.hpp)
//   - it is never read and the mode is `defer` (a never-read import is kept for its effects)
//   - the loader's probe says so (the module cannot be found, or its code has effects)
//   - in a module other than __main__, it loads a submodule (`import a.b`, `from a.b import c`,
//     `from . import sub`, `from .m import y`): other modules may read `a.b` without importing it
//   - the module reads a submodule it never imports (`import urllib` then `urllib.parse.quote`,
//     as email/_header_value_parser.py does) through a binding that stays eager: it relies on
//     another import having loaded it (through a deferred binding, the proxy imports it too:
//     ImportDecision::also_import)
//   - another name of the same statement stays eager, or, for `import a.b`, another
//     `import a...` binding the same name does (the statements load the package together)
// ====================================================================================================
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"
#include "shrinkpy/analyzer/imports.hpp"

namespace shrinkpy::analyzer {

enum class ImportMode : std::uint8_t { off, defer, drop };
enum class ImportAction : std::uint8_t { keep, defer, drop };

const char* import_mode_name(ImportMode mode);
const char* import_action_name(ImportAction action);
std::optional<ImportMode> parse_import_mode(std::string_view text);

struct ImportPolicy {
    ImportMode mode = ImportMode::defer;
    bool is_main = true;                     // __main__: no other module imports its names
    std::vector<std::int32_t> eager_lines;   // lines carrying `# shrinkpy: eager`
    std::vector<std::string> eager_modules;  // marked eager by the user, with their submodules
    // Asked about each import the pass is about to defer or drop: a reason to keep it eager, or ""
    // to go ahead. The loader answers "not found" (so the ImportError stays where it was written)
    // and "its module-level code has effects" (module_effects.hpp).
    std::function<std::string(const ImportFact& fact)> probe;
    // Whether a dotted name is a submodule that importing its package does not load by itself
    // (found without importing anything). Set, it lets the plan see a module reading `pkg.sub`
    // without importing pkg.sub, which works only because some other import loaded it
    // (ImportDecision::also_import), and imports that load such a submodule.
    std::function<bool(const std::string& module)> is_submodule;
};

struct ImportDecision {
    ImportFact fact;
    ImportAction action = ImportAction::keep;
    std::string reason;
    // Submodules the module reads through this deferred binding without importing them (`import
    // urllib`, then urllib.parse.quote): its proxy imports them too.
    std::vector<std::string> also_import;
};

struct ImportPlan {
    std::vector<ImportDecision> decisions;  // one per import binding, every scope, in code order
    std::size_t deferred() const;
    std::size_t dropped() const;
};

Result<ImportPlan> plan_imports(const CodeObject& module, const ImportPolicy& policy);

// Identifiers a string constant would name if it were evaluated as a type annotation ("np.ndarray"
// -> np, "Optional[Foo]" -> Optional, Foo); empty when the string does not look like one.
std::vector<std::string> annotation_identifiers(std::string_view text);

}  // namespace shrinkpy::analyzer
