// shrinkpython as an executable of its own, libpython linked in: the trimmed interpreters
// (cmake/TrimmedPython.cmake) and SHRINKPY_SHRINKPYTHON=linked.
#include "run.hpp"

int main(int argc, char** argv) { return shrinkpy::runtime::run(argc, argv); }
