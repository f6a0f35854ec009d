// Hands the module code of a script or of -c to the loader hook's rewrite_main() just before it
// runs. CPython compiles and runs them in C (pymain_run_file, run_mod in Python/pythonrun.c) with
// no hook in between, so this installs a PEP 523 frame evaluation function that waits for the
// first module-level frame running in __main__'s namespace, uninstalls itself, asks the hook for
// the rewritten code and evaluates that instead (the unexecuted original frame is discarded by
// _PyEval_Vector as for any frame). Between installation and that frame only the launcher's own
// start-up runs through it; afterwards CPython's evaluator is back (inlined calls included).
#pragma once

#include <Python.h>

namespace shrinkpy::runtime {

// `rewrite_main(code, filename, source, module_level)` returns the code to run. `source` is the
// text of -c (None for a script, whose file the hook reads). Steals nothing.
void install_main_code_swap(PyObject* rewrite_main, PyObject* source, bool module_level);

}  // namespace shrinkpy::runtime
