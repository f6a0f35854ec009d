// ====================================================================================================
// The modules the import pass keeps eager, each with the reason (checked against the 3.11 sources
// under /usr/lib/python3.11; line numbers are Debian's 3.11.2).
// ====================================================================================================
#include "shrinkpy/analyzer/eager_modules.hpp"

#include <array>

namespace shrinkpy::analyzer {
namespace {

constexpr std::array<EagerModule, 22> kTable = {{
    {"__future__", true, "a compiler directive: the statement must stay as written"},
    {"site", false, "sets up sys.path, builtins (help, exit) and .pth files when imported"},
    {"sitecustomize", false, "exists to run its code at start-up"},
    {"usercustomize", false, "exists to run its code at start-up"},
    {"readline", false, "importing it turns on line editing and history for input() and the REPL"},
    {"rlcompleter", false, "importing it binds tab completion into readline"},
    {"encodings", true, "registers codec search functions and aliases (encodings/__init__.py:156)"},
    {"codecs", false, "codec registration is process-wide; already loaded at start-up"},
    {"antigravity", false, "importing it opens a web browser"},
    {"this", false, "importing it prints the Zen of Python"},
    {"__hello__", false, "importing it prints"},
    {"__phello__", true, "importing it prints"},
    {"logging", true,
     "registers logging.shutdown with atexit (logging/__init__.py:2209) and fork hooks: a later "
     "import changes the order exit handlers run in"},
    {"warnings", false, "installs the -W and PYTHONWARNINGS filters when first imported"},
    {"threading", false,
     "records the thread that imports it as the main thread and registers fork hooks "
     "(threading.py:1661); imported first from another thread it names the wrong main thread"},
    {"multiprocessing", true,
     "registers its exit function with atexit (multiprocessing/util.py:362); worker processes "
     "started before it was imported would not share its state"},
    {"concurrent.futures", true,
     "its executors register exit and fork hooks on import (concurrent/futures/thread.py:40); "
     "registering after interpreter shutdown began raises RuntimeError"},
    {"faulthandler", false, "imported to be enabled before anything can crash"},
    {"tracemalloc", false, "imported to trace allocations from the start"},
    {"pkg_resources", true, "scans every distribution on sys.path and declares namespace packages on import"},
    {"setuptools", true, "replaces the standard library's distutils when imported (_distutils_hack)"},
    {"_distutils_hack", true, "installs an import hook that redirects distutils"},
}};

}  // namespace

std::span<const EagerModule> eager_modules() { return kTable; }

bool module_within(std::string_view module, std::string_view prefix) {
    return module == prefix ||
           (module.size() > prefix.size() && module.substr(0, prefix.size()) == prefix && module[prefix.size()] == '.');
}

const EagerModule* find_eager_module(std::string_view module) {
    for (const EagerModule& entry : kTable) {
        if (module == entry.name || (entry.submodules && module_within(module, entry.name))) return &entry;
    }
    return nullptr;
}

}  // namespace shrinkpy::analyzer
