#include "shrinkpy/alloc/stats.hpp"

namespace shrinkpy::alloc {

const char* domain_name(Domain d) {
    switch (d) {
        case Domain::raw: return "raw";
        case Domain::mem: return "mem";
        case Domain::obj: return "obj";
    }
    return "?";
}

uint64_t StatsSnapshot::allocs() const {
    uint64_t n = 0;
    for (const DomainStats& d : domains) n += d.allocs;
    return n;
}

}  // namespace shrinkpy::alloc
