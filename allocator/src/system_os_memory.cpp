// The Linux primitives behind OsMemory.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <new>

#include "shrinkpy/alloc/os_memory.hpp"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41  // include/uapi/linux/prctl.h, Linux 5.17
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef __NR_process_madvise
#define __NR_process_madvise 440  // the same number on every architecture (asm-generic/unistd.h)
#endif

namespace shrinkpy::alloc {
namespace {

class SystemOsMemory final : public OsMemory {
public:
    size_t page_size() const override { return page_; }

    int reserve(size_t size, void** out) override {
        void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return errno;
        *out = p;
        return 0;
    }

    int commit(void* p, size_t size) override { return mprotect(p, size, PROT_READ | PROT_WRITE) == 0 ? 0 : errno; }

    // mprotect(PROT_NONE) would keep the commit charge of a private writable range (mm/mprotect.c
    // keeps VM_ACCOUNT); a fresh PROT_NONE mapping over it releases pages and charge together.
    int decommit(void* p, size_t size) override {
        void* q = mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        return q == MAP_FAILED ? errno : 0;
    }

    // MADV_DONTNEED rather than MADV_FREE: RSS must fall now, not under memory pressure (mimalloc's
    // unix prim.c makes the same choice for decommit).
    int purge(void* p, size_t size) override { return madvise(p, size, MADV_DONTNEED) == 0 ? 0 : errno; }

    // process_madvise(2) on this process takes any advice since Linux 6.13, and since 6.14 names this
    // process without a file descriptor (PIDFD_SELF_THREAD: the calling thread's, i.e. this process's,
    // memory), so there is no descriptor the program could close or reuse. Older kernels, seccomp
    // filters and valgrind refuse it (EBADF, EINVAL, ENOSYS, EPERM): then, and from then on, one
    // madvise per range. A partial success leaves the rest to madvise too.
    int purge_ranges(const PageRange* ranges, size_t count) override {
        constexpr size_t kMaxRanges = 256;        // per call (UIO_MAXIOV is 1024): a region batch, 4 KiB of stack
        constexpr int kPidfdSelfThread = -10000;  // include/uapi/linux/pidfd.h, Linux 6.14
        int first_error = 0;
        while (count > 0 && batching_works_.load(std::memory_order_relaxed)) {
            size_t n = count < kMaxRanges ? count : kMaxRanges;
            iovec iov[kMaxRanges];
            size_t total = 0;
            for (size_t i = 0; i < n; ++i) {
                iov[i] = {ranges[i].start, ranges[i].size};
                total += ranges[i].size;
            }
            long done = syscall(__NR_process_madvise, kPidfdSelfThread, iov, n, MADV_DONTNEED, 0u);
            if (done < 0) {
                batching_works_.store(false, std::memory_order_relaxed);
                break;
            }
            size_t skip = 0;  // ranges done in full
            for (size_t left = size_t(done); skip < n && ranges[skip].size <= left; ++skip) left -= ranges[skip].size;
            if (size_t(done) != total) {  // stopped part-way: madvise from the first range not done in full
                ranges += skip;
                count -= skip;
                break;
            }
            ranges += n;
            count -= n;
        }
        for (size_t i = 0; i < count; ++i) {
            int error = purge(ranges[i].start, ranges[i].size);
            if (first_error == 0) first_error = error;
        }
        return first_error;
    }

    int map(size_t size, void** out) override {
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return errno;
        *out = p;
        return 0;
    }

    int unmap(void* p, size_t size) override { return munmap(p, size) == 0 ? 0 : errno; }

    int remap(void* p, size_t old_size, size_t new_size, void* dest) override {
        void* q = dest == nullptr ? mremap(p, old_size, new_size, 0)
                                  : mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
        return q == MAP_FAILED ? errno : 0;
    }

    void name(void* p, size_t size, const char* label) override {
        if (!naming_works_.load(std::memory_order_relaxed)) return;
        if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, size, label) != 0)
            naming_works_.store(false, std::memory_order_relaxed);
    }

    int resident(void* p, size_t size, unsigned char* out) override { return mincore(p, size, out) == 0 ? 0 : errno; }

    uint64_t now_ms() override {
        timespec t;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
        return uint64_t(t.tv_sec) * 1000 + uint64_t(t.tv_nsec) / 1000000;
    }

    // /proc/self/statm's second field (resident pages).
    uint64_t process_resident_bytes() override { return statm_field(1) * page_; }

    uint64_t process_peak_resident_bytes() override {
        rusage u;
        return getrusage(RUSAGE_SELF, &u) == 0 ? uint64_t(u.ru_maxrss) * 1024 : 0;  // KiB on Linux
    }

    // The soft limit less /proc/self/statm's size field (every mapping, reservations included).
    uint64_t address_space_left() override {
        rlimit limit;
        if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
        uint64_t mapped = statm_field(0) * page_;
        return mapped < limit.rlim_cur ? uint64_t(limit.rlim_cur) - mapped : 0;
    }

private:
    // Field `index` of /proc/self/statm, in pages; 0 when unreadable. Opened every time: a
    // descriptor kept open would go on reading the parent's after a fork.
    static uint64_t statm_field(int index) {
        int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return 0;
        char buf[128];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) return 0;
        buf[n] = '\0';
        const char* s = buf;
        for (int i = 0; i < index; ++i) {
            while (*s != '\0' && *s != ' ') ++s;
            if (*s == '\0') return 0;
            ++s;
        }
        uint64_t pages = 0;
        for (; *s >= '0' && *s <= '9'; ++s) pages = pages * 10 + uint64_t(*s - '0');
        return pages;
    }

    size_t page_ = size_t(sysconf(_SC_PAGESIZE));
    std::atomic<bool> naming_works_{true};    // stop asking once the kernel said no
    std::atomic<bool> batching_works_{true};  // process_madvise, until it fails once
};

}  // namespace

OsMemory& system_os_memory() {
    // Constructed in place and never destroyed: the allocator outlives every static destructor.
    alignas(SystemOsMemory) static unsigned char storage[sizeof(SystemOsMemory)];
    static OsMemory* instance = new (storage) SystemOsMemory();
    return *instance;
}

}  // namespace shrinkpy::alloc
