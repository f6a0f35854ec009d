#include "large_cache.hpp"

#include "checks.hpp"

namespace shrinkpy::alloc {

void LargeCache::add(const CachedMapping& m) {
    SHRINKPY_ALLOC_ASSERT_INTERNAL(count_ < kSlots);
    slots_[count_++] = m;
    bytes_ += m.bytes;
}

bool LargeCache::take(size_t bytes, size_t keep_at_least, CachedMapping* out, CachedMapping* dropped) {
    *dropped = {};
    int fit = -1, smaller = -1;
    for (int i = 0; i < count_; ++i) {
        size_t size = slots_[i].bytes;
        if (size >= bytes) {
            if (fit < 0 || size < slots_[fit].bytes) fit = i;
        } else if (smaller < 0 || size > slots_[smaller].bytes) {
            smaller = i;
        }
    }
    if (fit < 0) {
        if (smaller < 0) return false;
        *out = slots_[smaller];
        remove(smaller);
        return true;
    }
    CachedMapping& m = slots_[fit];
    *out = {m.start, bytes, m.freed_ms};
    if (m.bytes == bytes) {
        remove(fit);
        return true;
    }
    CachedMapping rest = {static_cast<char*>(m.start) + bytes, m.bytes - bytes, m.freed_ms};
    if (rest.bytes < keep_at_least) {
        *dropped = rest;
        remove(fit);
        return true;
    }
    m = rest;  // in its slot: it keeps its age
    bytes_ -= bytes;
    return true;
}

CachedMapping LargeCache::pop_oldest() {
    CachedMapping m = slots_[0];
    remove(0);
    return m;
}

CachedMapping LargeCache::cut_oldest(size_t bytes) {
    CachedMapping& m = slots_[0];
    SHRINKPY_ALLOC_ASSERT_INTERNAL(count_ > 0 && bytes < m.bytes);
    m.bytes -= bytes;
    bytes_ -= bytes;
    return {static_cast<char*>(m.start) + m.bytes, bytes, m.freed_ms};
}

void LargeCache::remove(int i) {
    bytes_ -= slots_[i].bytes;
    for (int j = i + 1; j < count_; ++j) slots_[j - 1] = slots_[j];
    --count_;
}

}  // namespace shrinkpy::alloc
