#include "timeline.hpp"

#include "json_writer.hpp"

namespace shrinkpy::runtime {

Timeline::Timeline(size_t capacity, bool arena, bool early_frees)
    : samples_(capacity < 2 ? 2 : capacity), arena_(arena), early_frees_(early_frees) {}

void Timeline::record(const TimelineSample& sample) {
    if (offered_++ % stride_ != 0) return;
    if (count_ == samples_.size()) {
        for (size_t i = 0; i < count_ / 2; ++i) samples_[i] = samples_[2 * i];
        count_ /= 2;
        stride_ *= 2;
        offered_ = 1;
    }
    samples_[count_++] = sample;
}

std::string Timeline::to_json(uint64_t interval_ms) const {
    JsonWriter w;
    w.begin_object();
    w.key("schema").string("shrinkpy-timeline/1");
    w.key("interval_ms").number(interval_ms * stride_);
    w.key("samples").begin_array();
    for (size_t i = 0; i < count_; ++i) {
        const TimelineSample& s = samples_[i];
        w.begin_object();
        w.key("t_ms").number(s.t_ms);
        w.key("rss_bytes").number(s.rss_bytes);
        w.key("private_bytes").number(s.private_bytes);
        w.key("allocated_bytes").number(s.allocated_bytes);
        if (arena_) {
            w.key("committed_bytes").number(s.committed_bytes);
            w.key("pages_released").number(s.pages_released);
        }
        if (early_frees_) w.key("early_frees").number(s.early_frees);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.take() + "\n";
}

}  // namespace shrinkpy::runtime
