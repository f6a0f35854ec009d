// ====================================================================================================
// Shared scan of a module's code tree for imports.cpp and module_names.cpp: global reads and
// writes by nested code, dynamic access, and a static __all__. Internal header.
// ====================================================================================================
#pragma once

#include <map>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/dataflow.hpp"
#include "shrinkpy/analyzer/imports.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer::detail {

struct ModuleScan {
    std::map<std::string, std::vector<std::string>> readers;  // name -> nested qualnames
    std::map<std::string, std::vector<std::string>> writers;
    std::vector<std::string> dynamic_reasons;
    std::vector<std::string> all;
    bool has_all = false;
    bool all_static = true;
    // The module's own code, with names liveness (deletes are not reads).
    std::unique_ptr<InstrList> instrs;
    std::unique_ptr<Cfg> cfg;
    SlotUniverse names;
    Liveness live;
};

Result<ModuleScan> scan_module(const CodeObject& module);

// analyze_imports() on a scan the caller already has.
Result<ModuleImports> analyze_imports(const CodeObject& module, const ModuleScan& scan);

}  // namespace shrinkpy::analyzer::detail
