// CPython 3.11 internals the glue relies on, each with where it comes from. Everything version
// specific about CPython's allocators lives in this one header.
#pragma once

#include <Python.h>

#include <cstdint>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "shrinkpy's allocator glue is written for CPython 3.11"
#endif

// _PyMem_GetCurrentAllocatorName() comes with Python.h (Include/cpython/pymem.h).
extern "C" {
// Python/pymem.c, declared in Include/internal/pycore_pymem.h and exported by libpython3.11 with
// PyAPI_FUNC: installs one of CPython's own allocator sets, as PYTHONMALLOC does; 0 on success.
int _PyMem_SetupAllocators(PyMemAllocatorName allocator);
}

namespace shrinkpy::alloc::cpython {

// Objects/obmalloc.c, 3.11: on 64-bit builds with the radix tree (Debian's, and every 64-bit
// default build) USE_LARGE_ARENAS and USE_LARGE_POOLS give 1 MiB arenas and 16 KiB pools; 32-bit
// builds use 256 KiB and 4 KiB. ALIGNMENT is 16 on 64-bit, 8 on 32-bit; blocks up to
// SMALL_REQUEST_THRESHOLD (512) bytes come from pools, larger ones from PyMem_RawMalloc.
#if SIZEOF_VOID_P > 4
inline constexpr unsigned kArenaBits = 20;
inline constexpr unsigned kPoolBits = 14;
inline constexpr unsigned kAlignmentShift = 4;
#else
inline constexpr unsigned kArenaBits = 18;
inline constexpr unsigned kPoolBits = 12;
inline constexpr unsigned kAlignmentShift = 3;
#endif
inline constexpr size_t kArenaSize = size_t{1} << kArenaBits;
inline constexpr size_t kPoolSize = size_t{1} << kPoolBits;
inline constexpr size_t kSmallRequestThreshold = 512;

// Objects/obmalloc.c, 3.11: the header at the start of every pool. Pools are aligned to
// kPoolSize inside an arena (new_arena() skips the unaligned head). Block size of a pool is
// (szidx + 1) << ALIGNMENT_SHIFT (INDEX2SIZE).
struct PoolHeader {
    union {
        void* padding;
        unsigned count;
    } ref;
    void* freeblock;
    PoolHeader* nextpool;
    PoolHeader* prevpool;
    unsigned arenaindex;
    unsigned szidx;
    unsigned nextoffset;
    unsigned maxnextoffset;
};

}  // namespace shrinkpy::alloc::cpython
