// ====================================================================================================
// What importing a module does outside the module itself, read from its module-level code: the
// loader asks before deferring or dropping an import of a user module (import_plan.hpp's probe),
// so a module that registers a plugin, a signal handler or an exit hook is still imported when
// the program wrote it.
//
// Module-level code (and class bodies under it; not the body of `if __name__ == "__main__":`)
// has an effect when it
//   - calls or references a known process-wide API (atexit.register, signal.signal, sys.path
//     .append, os.environ.update, codecs.register, warnings.filterwarnings, logging.basicConfig...),
//     names resolved through the module's own imports (`import signal as s` -> signal.signal);
//   - writes output or starts something: print(), input(), open(), exec/eval, warnings.warn,
//     logging calls, subprocess, sys.exit (deferred, they would happen later and in another order);
//   - calls a registration-style, logging or thread-starting method on anything (`register*`,
//     `connect`, `subscribe`, `listen*`, `install*`, `add_handler`, `info`, `warning`, `start`...),
//     decorators too;
//   - assigns or deletes an attribute or an item of something it imported (`sys.excepthook = f`,
//     `REGISTRY["x"] = cls`, `json.dumps = fast_dumps`).
// This is a heuristic over names, not a proof: it errs toward "has effects" for imported names
// and cannot see effects hidden behind the module's own function calls. Users mark the rest
// eager (`# shrinkpy: eager`).
// ====================================================================================================
#pragma once

#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"

namespace shrinkpy::analyzer {

// One "line N: what" per effect found, in code order; empty when none is.
std::vector<std::string> import_effects(const CodeObject& module);

}  // namespace shrinkpy::analyzer
