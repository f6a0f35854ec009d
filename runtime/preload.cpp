// libshrinkpython.so: shrinkpython inside Debian's own /usr/bin/python3.11 (SHRINKPY_SHRINKPYTHON=
// preload, the default on Debian; the launcher, launcher.cpp, preloads it).
//
// Why not link Debian's libpython3.11.a into an executable of our own: that archive is built with
// profile-guided optimisation but not with link-time optimisation, while /usr/bin/python3.11 is
// linked with both (its _PyEval_EvalFrameDefault is 61 733 bytes of code, the archive's 44 897).
// Linked from the archive, `for i in range(2000000): pass` took 16-17 ms against python3.11's
// 13.7 ms; the shared libpython3.11.so (LTO, but position-independent) took 17 ms. Run inside
// python3.11 itself it takes 13.6 ms: the interpreter is Debian's, only the main is ours.
//
// How: glibc's _start calls __libc_start_main through the PLT, so a preloaded definition runs
// first; it hands the real one run() (run.cpp) as the program's main, after every constructor has
// run, exactly where python3.11's main would have started. The C API resolves against the
// executable, which exports all of it (-export-dynamic) for extension modules.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "preload_env.hpp"
#include "run.hpp"

namespace {

using Main = int (*)(int, char**, char**);
using StartMain = int (*)(Main, int, char**, void (*)(), void (*)(), void (*)(), void*);

int shrinkpython_main(int argc, char** argv, char**) { return shrinkpy::runtime::run(argc, argv); }

// Puts LD_PRELOAD back as the user had it; false when the launcher did not start this process.
bool restore_environment() {
    using namespace shrinkpy::runtime;
    const char* restore = std::getenv(kPreloadRestore);
    if (restore == nullptr) return false;
    if (std::strncmp(restore, kSetPrefix, sizeof kSetPrefix - 1) == 0) {
        setenv("LD_PRELOAD", restore + sizeof kSetPrefix - 1, 1);
    } else {
        unsetenv("LD_PRELOAD");
    }
    unsetenv(kPreloadRestore);
    return true;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int __libc_start_main(Main main, int argc, char** argv,
                                                                        void (*init)(), void (*fini)(),
                                                                        void (*rtld_fini)(), void* stack_end) {
    auto real = reinterpret_cast<StartMain>(dlsym(RTLD_NEXT, "__libc_start_main"));
    if (real == nullptr) {
        std::fprintf(stderr, "shrinkpython: cannot find the C library's __libc_start_main: %s\n", dlerror());
        std::_Exit(2);
    }
    // Without the launcher's mark (LD_PRELOAD set by hand, or inherited by some other program) the
    // program runs as it is.
    return real(restore_environment() ? shrinkpython_main : main, argc, argv, init, fini, rtld_fini, stack_end);
}
