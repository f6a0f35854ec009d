// ====================================================================================================
// Assertion tiers of the arena allocator (mimalloc's mi_assert / _internal / _expensive):
//   SHRINKPY_ALLOC_ASSERT            level >= 1: cheap checks on slow paths (bad frees, OS errors)
//   SHRINKPY_ALLOC_ASSERT_INTERNAL   level >= 2: internal consistency on every slow path
//   SHRINKPY_ALLOC_ASSERT_EXPENSIVE  level >= 3: whole-structure validators (Heap::verify, Region::verify)
// The level is SHRINKPY_DEBUG_LEVEL (CMake, every target) unless SHRINKPY_ALLOC_DEBUG_LEVEL overrides
// it for one target: the sanitized copy of the library (allocator/CMakeLists.txt) is built at 3.
// A failed check writes one line with write(2) and aborts: no allocation on the failure path.
// ====================================================================================================
#pragma once

#if defined(SHRINKPY_ALLOC_DEBUG_LEVEL)
#define SHRINKPY_ALLOC_LEVEL SHRINKPY_ALLOC_DEBUG_LEVEL
#elif defined(SHRINKPY_DEBUG_LEVEL)
#define SHRINKPY_ALLOC_LEVEL SHRINKPY_DEBUG_LEVEL
#else
#error "SHRINKPY_DEBUG_LEVEL must be defined by the build (0-3)"
#endif

namespace shrinkpy::alloc {

inline constexpr int kDebugLevel = SHRINKPY_ALLOC_LEVEL;

// Writes "shrinkpy allocator: <what> (<file>:<line>)" to stderr and aborts.
[[noreturn]] void check_failed(const char* what, const char* file, int line);

}  // namespace shrinkpy::alloc

#define SHRINKPY_ALLOC_CHECK_AT(level, cond)                                \
    do {                                                                    \
        if constexpr (::shrinkpy::alloc::kDebugLevel >= (level)) {          \
            if (!(cond)) [[unlikely]]                                       \
                ::shrinkpy::alloc::check_failed(#cond, __FILE__, __LINE__); \
        }                                                                   \
    } while (0)

#define SHRINKPY_ALLOC_ASSERT(cond) SHRINKPY_ALLOC_CHECK_AT(1, cond)
#define SHRINKPY_ALLOC_ASSERT_INTERNAL(cond) SHRINKPY_ALLOC_CHECK_AT(2, cond)
#define SHRINKPY_ALLOC_ASSERT_EXPENSIVE(cond) SHRINKPY_ALLOC_CHECK_AT(3, cond)
