#include "large_cache.hpp"

#include "checks.hpp"

namespace shrinkpy::alloc {

void LargeCache::add(const CachedMapping& m) {
    SHRINKPY_ALLOC_ASSERT_INTERNAL(count_ < kSlots);
    slots_[count_++] = m;
    bytes_ += m.bytes;
}

bool LargeCache::take(size_t bytes, CachedMapping* out) {
    int fit = -1, smaller = -1;
    for (int i = 0; i < count_; ++i) {
        size_t size = slots_[i].bytes;
        if (size >= bytes) {
            if (size / 2 <= bytes && (fit < 0 || size < slots_[fit].bytes)) fit = i;
        } else if (smaller < 0 || size > slots_[smaller].bytes) {
            smaller = i;
        }
    }
    int chosen = fit >= 0 ? fit : smaller;
    if (chosen < 0) return false;
    *out = slots_[chosen];
    remove(chosen);
    return true;
}

CachedMapping LargeCache::pop_oldest() {
    CachedMapping m = slots_[0];
    remove(0);
    return m;
}

void LargeCache::remove(int i) {
    bytes_ -= slots_[i].bytes;
    for (int j = i + 1; j < count_; ++j) slots_[j - 1] = slots_[j];
    --count_;
}

}  // namespace shrinkpy::alloc
