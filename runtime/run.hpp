// shrinkpython's main (run.cpp), called by the program's own main (static_main.cpp) or in place of
// Debian's python3.11's main (preload.cpp).
#pragma once

namespace shrinkpy::runtime {

int run(int argc, char** argv);

}  // namespace shrinkpy::runtime
