// What the launcher (launcher.cpp) tells the preloaded library (preload.cpp) through the
// environment: that this python3.11 is shrinkpython, and the LD_PRELOAD the user had, to put back
// before the program starts so that its child processes see the environment it was given.
#pragma once

namespace shrinkpy::runtime {

// "unset", or "set:" followed by the user's LD_PRELOAD.
inline constexpr const char kPreloadRestore[] = "SHRINKPY_PRELOAD_RESTORE";
inline constexpr const char kUnset[] = "unset";
inline constexpr const char kSetPrefix[] = "set:";

}  // namespace shrinkpy::runtime
