// The Linux primitives behind OsMemory.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <new>

#include "shrinkpy/alloc/os_memory.hpp"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41  // include/uapi/linux/prctl.h, Linux 5.17
#define PR_SET_VMA_ANON_NAME 0
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

private:
    size_t page_ = size_t(sysconf(_SC_PAGESIZE));
    std::atomic<bool> naming_works_{true};  // stop asking once the kernel said no
};

}  // namespace

OsMemory& system_os_memory() {
    // Constructed in place and never destroyed: the allocator outlives every static destructor.
    alignas(SystemOsMemory) static unsigned char storage[sizeof(SystemOsMemory)];
    static OsMemory* instance = new (storage) SystemOsMemory();
    return *instance;
}

}  // namespace shrinkpy::alloc
