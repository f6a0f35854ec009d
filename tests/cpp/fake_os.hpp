// A fake OsMemory for the arena's tests (tcmalloc's FakeVirtualAllocator in spirit): any page
// size, e.g. a Raspberry Pi 5 kernel's 16 KiB or a 64 KiB arm64 kernel's, on this 4 KiB host.
//
// It is real memory underneath (every fake page is a whole number of host pages), so blocks can be
// written and read; what it adds is the contract of os_memory.hpp, checked on every call (fake-page
// alignment, ranges inside what reserve() or map() returned, purges only of committed memory), a
// count of what the allocator asked for, and failure injection.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "shrinkpy/alloc/os_memory.hpp"

namespace shrinkpy::alloc::testing {

class FakeOsMemory final : public OsMemory {
public:
    explicit FakeOsMemory(size_t page_size) : page_(page_size) {}

    struct Counts {
        uint64_t reserves = 0, commits = 0, decommits = 0, purges = 0, maps = 0, unmaps = 0, remaps = 0;
        uint64_t refused = 0;  // commits and maps failed on purpose (fail_*_after, refuse_all)
        uint64_t purged_bytes = 0, committed_bytes = 0, mapped_bytes = 0;
    };

    size_t page_size() const override { return page_; }

    int reserve(size_t size, void** out) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!aligned(size)) return violation("reserve of a size that is not a multiple of the page");
        void* p = aligned_mmap(size, PROT_NONE, MAP_NORESERVE);
        if (p == nullptr) return ENOMEM;
        ranges_[uintptr_t(p)] = {size, Kind::reservation};
        ++counts_.reserves;
        *out = p;
        return 0;
    }

    int commit(void* p, size_t size) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!inside(p, size, Kind::reservation)) return violation("commit outside a reservation or unaligned");
        if (refuse_all_ || (fail_commits_after_ >= 0 && fail_commits_after_-- == 0)) return refuse();
        if (mprotect(p, size, PROT_READ | PROT_WRITE) != 0) return errno;
        for (size_t off = 0; off < size; off += page_) committed_.insert(uintptr_t(p) + off);
        ++counts_.commits;
        counts_.committed_bytes += size;
        return 0;
    }

    int decommit(void* p, size_t size) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!inside(p, size, Kind::reservation)) return violation("decommit outside a reservation or unaligned");
        if (mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
            return errno;
        for (size_t off = 0; off < size; off += page_) committed_.erase(uintptr_t(p) + off);
        ++counts_.decommits;
        counts_.committed_bytes -= size;
        return 0;
    }

    int purge(void* p, size_t size) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!inside(p, size, Kind::reservation)) return violation("purge outside a reservation or unaligned");
        for (size_t off = 0; off < size; off += page_) {
            if (!committed_.count(uintptr_t(p) + off)) return violation("purge of memory that is not committed");
        }
        if (madvise(p, size, MADV_DONTNEED) != 0) return errno;
        ++counts_.purges;
        counts_.purged_bytes += size;
        return 0;
    }

    int map(size_t size, void** out) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!aligned(size)) return violation("map of a size that is not a multiple of the page");
        if (refuse_all_ || (fail_maps_after_ >= 0 && fail_maps_after_-- == 0)) return refuse();
        void* p = aligned_mmap(size, PROT_READ | PROT_WRITE, 0);
        if (p == nullptr) return ENOMEM;
        ranges_[uintptr_t(p)] = {size, Kind::mapping};
        ++counts_.maps;
        counts_.mapped_bytes += size;
        *out = p;
        return 0;
    }

    int unmap(void* p, size_t size) override {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = exact(p, size);
        if (it == ranges_.end()) return violation("unmap of something that is not a range of pages of one mapping");
        if (it->second.kind == Kind::mapping) counts_.mapped_bytes -= size;
        ranges_.erase(it);
        munmap(p, size);
        ++counts_.unmaps;
        return 0;
    }

    int remap(void* p, size_t old_size, size_t new_size, void* dest) override {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = exact(p, old_size);
        if (it == ranges_.end() || it->second.kind != Kind::mapping || !aligned(new_size))
            return violation("remap of something that is not a range of pages of a mapping, or to an unaligned size");
        ++counts_.remaps;
        if (dest == nullptr) {
            if (mremap(p, old_size, new_size, 0) == MAP_FAILED) return errno;
            it->second.size = new_size;
            if (new_size < old_size) return 0;  // the tail is unmapped
            counts_.mapped_bytes += new_size - old_size;
            return 0;
        }
        auto target = ranges_.find(uintptr_t(dest));
        if (target == ranges_.end() || target->second.size != new_size) return violation("remap onto a wrong mapping");
        if (mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest) == MAP_FAILED) return errno;
        counts_.mapped_bytes -= old_size;
        ranges_.erase(it);
        return 0;
    }

    void name(void*, size_t, const char*) override {}

    // A fake page is resident when any host page of it is.
    int resident(void* p, size_t size, unsigned char* out) override {
        std::lock_guard<std::mutex> g(mutex_);
        if (!aligned(uintptr_t(p)) || !aligned(size)) return violation("resident() of an unaligned range");
        size_t host = size_t(sysconf(_SC_PAGESIZE));
        std::vector<unsigned char> v(size / host);
        if (mincore(p, size, v.data()) != 0) return errno;
        for (size_t i = 0; i < size / page_; ++i) {
            out[i] = 0;
            for (size_t j = 0; j < page_ / host; ++j) out[i] |= v[i * (page_ / host) + j] & 1;
        }
        return 0;
    }

    // Time stands still unless a test moves it (advance_ms), so purge delays are deterministic.
    uint64_t now_ms() override { return now_ms_.load(std::memory_order_relaxed); }
    // The process's resident memory as a test sets it (0: unknown, as on a system without /proc).
    uint64_t process_resident_bytes() override { return process_rss_.load(std::memory_order_relaxed); }
    uint64_t process_peak_resident_bytes() override { return process_peak_.load(std::memory_order_relaxed); }
    void set_process_resident(uint64_t now, uint64_t peak) {
        process_rss_.store(now, std::memory_order_relaxed);
        process_peak_.store(peak, std::memory_order_relaxed);
    }
    void advance_ms(uint64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }
    // Address space left under a limit (ulimit -v), as a test sets it (default: no limit).
    uint64_t address_space_left() override { return address_space_left_.load(std::memory_order_relaxed); }
    void set_address_space_left(uint64_t bytes) { address_space_left_.store(bytes, std::memory_order_relaxed); }

    Counts counts() {
        std::lock_guard<std::mutex> g(mutex_);
        return counts_;
    }
    // The size of the mapping record starting at `p` (0: none).
    size_t mapped_at(void* p) {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = ranges_.find(uintptr_t(p));
        return it == ranges_.end() || it->second.kind != Kind::mapping ? 0 : it->second.size;
    }
    // Contract violations seen so far (each also fails the call with EINVAL).
    std::vector<std::string> violations() {
        std::lock_guard<std::mutex> g(mutex_);
        return violations_;
    }
    // The next `n` commits (maps) succeed, then one fails with ENOMEM; -1 for never.
    void fail_commit_after(int n) { fail_commits_after_ = n; }
    void fail_map_after(int n) { fail_maps_after_ = n; }
    // Every commit and map from now on fails with ENOMEM (the address space used up), until
    // refuse_all(false).
    void refuse_all(bool refuse = true) { refuse_all_ = refuse; }

private:
    enum class Kind { reservation, mapping };
    int refuse() {
        ++counts_.refused;
        return ENOMEM;
    }
    struct Range {
        size_t size;
        Kind kind;
    };

    bool aligned(size_t v) const { return v % page_ == 0; }

    // The record of exactly [p, p + size), splitting the mapping record that holds it (the arena
    // unmaps and resizes parts of its cached large mappings); end() when no single record does.
    std::map<uintptr_t, Range>::iterator exact(void* p, size_t size) {
        uintptr_t a = uintptr_t(p);
        if (!aligned(a) || !aligned(size) || size == 0) return ranges_.end();
        auto it = ranges_.upper_bound(a);
        if (it == ranges_.begin()) return ranges_.end();
        --it;
        uintptr_t start = it->first;
        Range r = it->second;
        if (a + size > start + r.size) return ranges_.end();
        if (r.kind == Kind::reservation && (a != start || size != r.size)) return ranges_.end();
        if (a > start) it->second.size = a - start;  // the part before stays a record of its own
        if (a + size < start + r.size) ranges_[a + size] = {start + r.size - a - size, r.kind};
        ranges_[a] = {size, r.kind};
        return ranges_.find(a);
    }

    bool inside(void* p, size_t size, Kind kind) const {
        uintptr_t a = uintptr_t(p);
        if (!aligned(a) || !aligned(size) || size == 0) return false;
        auto it = ranges_.upper_bound(a);
        if (it == ranges_.begin()) return false;
        --it;
        return it->second.kind == kind && a + size <= it->first + it->second.size;
    }

    // mmap aligned to the fake page: map more, trim both ends.
    void* aligned_mmap(size_t size, int prot, int flags) {
        size_t span = size + page_;
        void* raw = mmap(nullptr, span, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
        if (raw == MAP_FAILED) return nullptr;
        uintptr_t start = uintptr_t(raw);
        uintptr_t p = (start + page_ - 1) & ~uintptr_t(page_ - 1);
        if (p > start) munmap(raw, p - start);
        if (start + span > p + size) munmap(reinterpret_cast<void*>(p + size), start + span - p - size);
        return reinterpret_cast<void*>(p);
    }

    int violation(const char* what) {
        violations_.emplace_back(what);
        return EINVAL;
    }

    size_t page_;
    std::mutex mutex_;
    std::map<uintptr_t, Range> ranges_;
    std::set<uintptr_t> committed_;  // fake pages of reservations that are committed
    Counts counts_;
    std::vector<std::string> violations_;
    int fail_commits_after_ = -1;
    int fail_maps_after_ = -1;
    bool refuse_all_ = false;
    std::atomic<uint64_t> now_ms_{1000};
    std::atomic<uint64_t> process_rss_{0};
    std::atomic<uint64_t> process_peak_{0};
    std::atomic<uint64_t> address_space_left_{UINT64_MAX};
};

}  // namespace shrinkpy::alloc::testing
