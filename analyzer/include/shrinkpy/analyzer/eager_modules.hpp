// ====================================================================================================
// Modules whose import changes the state of the process or the interpreter beyond the module
// itself (exit handlers, fork hooks, line editing, codecs, sys.path, printed output...). Importing
// them later than the program wrote would change behaviour, so the import pass never defers or
// drops them. The table with the reason for each entry is in src/eager_modules.cpp; a user adds
// to it with the `# shrinkpy: eager` pragma or the eager list of ImportPolicy.
// ====================================================================================================
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace shrinkpy::analyzer {

struct EagerModule {
    std::string_view name;
    bool submodules;  // also every `name.*`
    std::string_view reason;
};

std::span<const EagerModule> eager_modules();

// The entry covering `module` (an absolute dotted name), or nullptr.
const EagerModule* find_eager_module(std::string_view module);

// Whether `module` is `prefix` or one of its submodules.
bool module_within(std::string_view module, std::string_view prefix);

}  // namespace shrinkpy::analyzer
