// The operating system as the arena allocator sees it: a handful of primitives on page-aligned
// ranges (mimalloc's prim.h, tcmalloc's Forwarder). Every primitive returns 0 or an errno value and
// never allocates. The allocator's policy is written against this interface so that tests can run it
// on a fake with 16 KiB or 64 KiB pages and count what it asks of the kernel (tests/cpp/fake_os.hpp).
//
// Preconditions, for every primitive taking a range: the address and the size are multiples of
// page_size(), and the range lies inside what reserve() or map() returned.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shrinkpy::alloc {

// A range of pages for purge_ranges(): page-aligned start and size.
struct PageRange {
    void* start;
    size_t size;
};

class OsMemory {
public:
    virtual ~OsMemory() = default;

    // The kernel's page size (sysconf(_SC_PAGESIZE)): the unit of every primitive below.
    virtual size_t page_size() const = 0;

    // Address space only: no access, no memory, no commit charge (mmap PROT_NONE, MAP_NORESERVE).
    virtual int reserve(size_t size, void** out) = 0;
    // Makes part of a reservation readable and writable; pages arrive when first touched.
    virtual int commit(void* p, size_t size) = 0;
    // Gives the pages and the commit charge back; the addresses stay reserved (no access).
    virtual int decommit(void* p, size_t size) = 0;
    // Drops the pages of a committed range now (MADV_DONTNEED): RSS falls at once, the range stays
    // usable and reads as zeros when touched again.
    virtual int purge(void* p, size_t size) = 0;
    // purge() of each range, as few system calls as the kernel allows (process_madvise on Linux
    // 6.13 and later: one call and one TLB flush for up to 1024 ranges). The first error, or 0.
    virtual int purge_ranges(const PageRange* ranges, size_t count) {
        int first_error = 0;
        for (size_t i = 0; i < count; ++i) {
            int error = purge(ranges[i].start, ranges[i].size);
            if (first_error == 0) first_error = error;
        }
        return first_error;
    }

    // A readable and writable mapping of its own, zero-filled (a large block, or metadata).
    virtual int map(size_t size, void** out) = 0;
    // Unmaps a range of pages of a mapping from map(): all of it, or a part (the arena splits
    // cached large mappings: large_cache.hpp).
    virtual int unmap(void* p, size_t size) = 0;
    // Resizes a range of pages of a mapping from map() (all of it or a part, as for unmap). With
    // `dest` nullptr, in place only (ENOMEM when the addresses after it are taken). Otherwise moves
    // its pages, without copying, onto `dest`, a whole mapping of new_size from map(), which it
    // replaces (mremap MREMAP_MAYMOVE | MREMAP_FIXED).
    virtual int remap(void* p, size_t old_size, size_t new_size, void* dest) = 0;

    // Names a range in /proc/PID/maps and smaps (PR_SET_VMA_ANON_NAME, Linux >= 5.17 with
    // CONFIG_ANON_VMA_NAME). Best effort: kernels without it keep the range anonymous.
    virtual void name(void* p, size_t size, const char* label) = 0;

    // Which pages of a committed range or a mapping are resident (mincore): out[i] bit 0 for page
    // i. For the arena's census (census.cpp), not its policy.
    virtual int resident(void* p, size_t size, unsigned char* out) = 0;

    // A monotonic clock in milliseconds (CLOCK_MONOTONIC_COARSE: a few nanoseconds, a few ms of
    // resolution): what the purge delay is measured with. Any origin; wraps never in practice.
    virtual uint64_t now_ms() = 0;

    // The whole process's resident memory now and at its highest (VmRSS and VmHWM), in bytes; 0
    // when unknown. What other allocators in the process (the C library's, for SQLite's page cache
    // or numpy's arrays) hold shows only here (Region::offset_process_growth).
    virtual uint64_t process_resident_bytes() = 0;
    virtual uint64_t process_peak_resident_bytes() = 0;

    // Address space the process may still map under its limit (RLIMIT_AS, `ulimit -v`, less what
    // it maps now), or UINT64_MAX without one. A reservation counts against that limit although it
    // holds no memory (Region::init).
    virtual uint64_t address_space_left() = 0;
};

// Linux: mmap, mprotect, madvise, mremap, prctl. One instance for the process.
OsMemory& system_os_memory();

}  // namespace shrinkpy::alloc
