// ====================================================================================================
// Debug levels (SHRINKPY_DEBUG_LEVEL, set by CMake for every target): 0 none, 1 cheap always-on
// checks, 2 internal checks, 3 expensive whole-structure validators (Cfg::verify,
// verify_liveness, ...) run after every analysis. One CI test job builds a copy at level 3.
// ====================================================================================================
#pragma once

#ifndef SHRINKPY_DEBUG_LEVEL
#error "SHRINKPY_DEBUG_LEVEL must be defined by the build (0-3)"
#endif

namespace shrinkpy::analyzer {
inline constexpr int kDebugLevel = SHRINKPY_DEBUG_LEVEL;
inline constexpr bool kRunValidators = SHRINKPY_DEBUG_LEVEL >= 3;
}  // namespace shrinkpy::analyzer
