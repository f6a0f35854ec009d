// shrinkpython on Debian (SHRINKPY_SHRINKPYTHON=preload): runs Debian's python3.11 with
// libshrinkpython.so preloaded, which makes run() (run.cpp) its main (preload.cpp says why).
//
// argv goes through unchanged, argv[0] included: python3.11 derives sys.executable from it, so
// sys.executable is this launcher (or the venv's link to it) and the processes a program starts
// through sys.executable are shrinkpython too. Only the C library is used (linked statically: a
// launch costs one more exec, about a millisecond, and no dynamic linking).
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "preload_env.hpp"

namespace {

// The `home` of the venv whose bin/ is `dir`: the directory its python was copied from.
// python3.11 finds its own library the same way (Modules/getpath.py reads pyvenv.cfg beside the
// executable or one directory up). Empty when `dir` is not in a venv.
std::string venv_home(const std::string& dir) {
    for (const char* cfg : {"/pyvenv.cfg", "/../pyvenv.cfg"}) {
        FILE* f = std::fopen((dir + cfg).c_str(), "r");
        if (f == nullptr) continue;
        auto strip = [](const std::string& s) {
            size_t start = s.find_first_not_of(" \t\r\n");
            return start == std::string::npos ? std::string()
                                              : s.substr(start, s.find_last_not_of(" \t\r\n") - start + 1);
        };
        std::string home;
        char line[PATH_MAX + 64];
        while (home.empty() && std::fgets(line, sizeof line, f) != nullptr) {  // lines of `key = value`
            std::string text(line);
            size_t eq = text.find('=');
            if (eq != std::string::npos && strip(text.substr(0, eq)) == "home") home = strip(text.substr(eq + 1));
        }
        std::fclose(f);
        return home;
    }
    return {};
}

// The library beside the launcher (the build tree), or in ../lib/shrinkpy (an installed wheel); for
// a copy of the launcher in a venv (venv.create's default, `-m venv --copies`), the same places
// from the venv's home.
std::string find_library() {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return {};
    self[n] = '\0';
    std::string dir(self, std::strrchr(self, '/') - self);
    auto library_from = [](const std::string& base) -> std::string {
        for (const char* relative : {"/libshrinkpython.so", "/../lib/shrinkpy/libshrinkpython.so"}) {
            std::string path = base + relative;
            if (access(path.c_str(), R_OK) == 0) return path;
        }
        return {};
    };
    std::string library = library_from(dir);
    if (!library.empty()) return library;
    std::string home = venv_home(dir);  // read only when needed: most launches find the library above
    return home.empty() ? std::string() : library_from(home);
}

}  // namespace

int main(int, char** argv) {
    using namespace shrinkpy::runtime;
    std::string library = find_library();
    if (library.empty()) {
        std::fprintf(stderr,
                     "shrinkpython: libshrinkpython.so is missing: it belongs beside this launcher or in "
                     "../lib/shrinkpy (rebuild with `make`, or reinstall shrinkpy)\n");
        return 2;
    }
    const char* user = std::getenv("LD_PRELOAD");
    std::string restore = user != nullptr ? std::string(kSetPrefix) + user : std::string(kUnset);
    std::string preload = user != nullptr && *user != '\0' ? library + ":" + user : library;
    if (setenv(kPreloadRestore, restore.c_str(), 1) != 0 || setenv("LD_PRELOAD", preload.c_str(), 1) != 0) {
        std::perror("shrinkpython: setenv");
        return 2;
    }
    execv(SHRINKPY_PYTHON, argv);
    int error = errno;
    std::fprintf(stderr,
                 "shrinkpython: cannot run %s: %s (shrinkpython needs Debian's python3.11: "
                 "apt-get install python3.11)\n",
                 SHRINKPY_PYTHON, std::strerror(error));
    return error == ENOENT ? 127 : 126;
}
