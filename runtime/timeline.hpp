// A memory timeline of this process, for `shrinkpy run --timeline` (SHRINKPY_TIMELINE=path.json):
// every sample of the sampler thread, as JSON at exit (schema "shrinkpy-timeline/1").
//
// The buffer is allocated once, up front: recording happens on the sampler thread and never
// allocates. When it is full, every other sample is dropped and from then on only every second
// sample is kept (then every fourth, ...), so a long run keeps an even, coarser picture.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shrinkpy::runtime {

struct TimelineSample {
    uint64_t t_ms = 0;             // since the sampler started
    uint64_t rss_bytes = 0;        // VmRSS
    uint64_t private_bytes = 0;    // Private_Clean + Private_Dirty
    uint64_t allocated_bytes = 0;  // the allocator's bytes in use (block sizes)
    // The arena's (when it is the allocator): what it holds from the OS, and the OS pages it has
    // given back so far (cumulative).
    uint64_t committed_bytes = 0;
    uint64_t pages_released = 0;
    // Early frees run so far (cumulative; only when the rewrite counts them, see ReleasePolicy).
    uint64_t early_frees = 0;
};

class Timeline {
public:
    // `arena`: the samples carry the arena's committed_bytes and pages_released; `early_frees`:
    // the count of early frees run (each is left out of the JSON otherwise).
    explicit Timeline(size_t capacity = size_t{1} << 15, bool arena = false, bool early_frees = false);
    bool arena() const { return arena_; }

    void record(const TimelineSample& sample);  // sampler thread only
    size_t size() const { return count_; }
    const TimelineSample& operator[](size_t i) const { return samples_[i]; }
    std::string to_json(uint64_t interval_ms) const;

private:
    std::vector<TimelineSample> samples_;
    size_t count_ = 0;
    uint64_t stride_ = 1;   // keep one sample in `stride_`
    uint64_t offered_ = 0;  // samples offered since the last compaction
    bool arena_ = false;
    bool early_frees_ = false;
};

}  // namespace shrinkpy::runtime
