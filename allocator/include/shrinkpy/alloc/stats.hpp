// Allocation statistics kept by the PyMem glue for each CPython memory domain.
//
// Glossary:
//   domain      one of CPython's three allocator domains: RAW (PyMem_Raw*, may run without the GIL),
//               MEM (PyMem_*) and OBJ (PyObject_*), both always called with the GIL held.
//   block size  the bytes the serving allocator set aside for a request: the request rounded up to
//               its size class (pymalloc, arena) or malloc_usable_size / mi_usable_size.
//
// Invariants (checked by the tests):
//   allocs - frees == live blocks of the domain
//   bytes_current  == sum of block sizes of the live blocks the domain's allocator itself serves
//   bytes_peak     >= bytes_current, and the overall peak >= sum of the domains' bytes_current
// A block one allocator passes on to another (pymalloc hands requests over 512 bytes to RAW) is
// counted as a call in both domains but its bytes only where the memory comes from.
#pragma once

#include <array>
#include <cstdint>

namespace shrinkpy::alloc {

enum class Domain : int { raw = 0, mem = 1, obj = 2 };
inline constexpr int kDomainCount = 3;
const char* domain_name(Domain d);

struct DomainStats {
    uint64_t allocs = 0;         // successful malloc/calloc calls and realloc(NULL, n)
    uint64_t reallocs = 0;       // realloc of an existing block
    uint64_t frees = 0;          // free of a non-NULL block
    uint64_t failures = 0;       // requests that returned NULL
    uint64_t bytes_current = 0;  // block bytes live now
    uint64_t bytes_peak = 0;     // highest bytes_current seen
};

struct StatsSnapshot {
    std::array<DomainStats, kDomainCount> domains{};
    uint64_t bytes_current = 0;  // sum over the domains
    uint64_t bytes_peak = 0;     // highest sum seen (not the sum of the domains' peaks)
    uint64_t allocs() const;
};

}  // namespace shrinkpy::alloc
