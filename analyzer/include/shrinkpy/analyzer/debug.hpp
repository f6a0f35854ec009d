// ====================================================================================================
// Debug levels (SHRINKPY_DEBUG_LEVEL, set by CMake for every target): 0 none, 1 cheap always-on
// checks, 2 internal checks, 3 expensive whole-structure validators (Cfg::verify,
// verify_liveness, ...) run after every analysis. SHRINKPY_ANALYZER_DEBUG_LEVEL overrides the
// level for one target: the sanitized copy of the library (analyzer/CMakeLists.txt) is built at 3.
// ====================================================================================================
#pragma once

#if defined(SHRINKPY_ANALYZER_DEBUG_LEVEL)
#define SHRINKPY_ANALYZER_LEVEL SHRINKPY_ANALYZER_DEBUG_LEVEL
#elif defined(SHRINKPY_DEBUG_LEVEL)
#define SHRINKPY_ANALYZER_LEVEL SHRINKPY_DEBUG_LEVEL
#else
#error "SHRINKPY_DEBUG_LEVEL must be defined by the build (0-3)"
#endif

namespace shrinkpy::analyzer {
inline constexpr int kDebugLevel = SHRINKPY_ANALYZER_LEVEL;
inline constexpr bool kRunValidators = SHRINKPY_ANALYZER_LEVEL >= 3;
}  // namespace shrinkpy::analyzer
