#include "report.hpp"

#include <algorithm>
#include <cstdio>

#include "json_writer.hpp"

namespace shrinkpy::runtime {
namespace {

std::string mib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
    return buf;
}

// 1234567 -> "1,234,567"
std::string grouped(uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

void line(std::string& out, const char* label, const std::string& value) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-22s %s\n", label, value.c_str());
    out += buf;
}

void domain_json(JsonWriter& w, const alloc::DomainStats& d) {
    w.begin_object();
    w.key("allocs").number(d.allocs);
    w.key("reallocs").number(d.reallocs);
    w.key("frees").number(d.frees);
    w.key("failures").number(d.failures);
    w.key("bytes_current").number(d.bytes_current);
    w.key("bytes_peak").number(d.bytes_peak);
    w.end_object();
}

void allocations_json(JsonWriter& w, const alloc::StatsSnapshot& stats) {
    w.begin_object();
    w.key("count").number(stats.allocs());
    w.key("bytes_current").number(stats.bytes_current);
    w.key("bytes_peak").number(stats.bytes_peak);
    w.key("domains").begin_object();
    for (int d = 0; d < alloc::kDomainCount; ++d) {
        w.key(alloc::domain_name(alloc::Domain(d)));
        domain_json(w, stats.domains[d]);
    }
    w.end_object();
    w.end_object();
}

void arena_json(JsonWriter& w, const alloc::ArenaStats& a) {
    w.begin_object();
    w.key("page_size").number(uint64_t(a.page_size));
    w.key("arena_bytes").number(uint64_t(a.arena_bytes));
    w.key("reserve_bytes").number(uint64_t(a.reserve_bytes));
    w.key("large_threshold").number(uint64_t(a.large_threshold));
    w.key("retain_bytes").number(uint64_t(a.retain_bytes));
    w.key("max_heap_bytes").number(a.max_heap_bytes);
    w.key("committed_bytes").number(a.committed_bytes);
    w.key("committed_peak_bytes").number(a.committed_peak_bytes);
    w.key("pool_bytes").number(a.pool_bytes);
    w.key("queued_bytes").number(a.queued_bytes);
    w.key("reserved_bytes").number(a.reserved_bytes);
    w.key("in_use_bytes").number(a.in_use_bytes);
    w.key("fragmentation").number(a.fragmentation());
    w.key("large_blocks").number(a.large_blocks);
    w.key("large_bytes").number(a.large_bytes);
    w.key("large_cached_bytes").number(a.large_cached_bytes);
    w.key("arenas_committed").number(a.arenas_committed);
    w.key("pools_created").number(a.pools_created);
    w.key("pools_reused").number(a.pools_reused);
    w.key("pages_returned").number(a.pages_returned);
    w.key("purge_calls").number(a.purge_calls);
    w.key("cap_failures").number(a.cap_failures);
    w.key("overflowed").number(a.overflowed);
    w.key("classes").begin_array();
    for (int i = 0; i < a.class_count; ++i) {
        const alloc::ArenaClassStats& c = a.classes[i];
        if (c.pools_peak == 0) continue;  // never used
        w.begin_object();
        w.key("block_size").number(uint64_t(c.block_size));
        w.key("pool_bytes").number(uint64_t(c.pool_bytes));
        w.key("pools").number(c.pools);
        w.key("pools_peak").number(c.pools_peak);
        w.key("blocks_in_use").number(c.blocks_in_use);
        w.key("blocks_capacity").number(c.blocks_capacity);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

std::string early_free_text(const EarlyFreeSummary& e) {
    if (e.mode == "off") return "off";
    std::string out = e.mode + ", scope " + e.scope + ": " + grouped(e.releases) + " releases in " +
                      grouped(e.code_objects) + " code objects of " + grouped(e.modules) + " modules";
    uint64_t skipped = 0;
    std::string rules;
    for (const auto& [rule, n] : e.skipped) {
        skipped += n;
        rules += (rules.empty() ? "" : ", ") + rule + " " + grouped(n);
    }
    out += "; skipped " + grouped(skipped) + " code objects" + (rules.empty() ? "" : " (" + rules + ")");
    return out;
}

std::string imports_text(const ImportSummary& s) {
    if (s.mode == "off") return "off";
    const auto loaded = static_cast<uint64_t>(
        std::count_if(s.proxies.begin(), s.proxies.end(), [](const DeferredImport& d) { return d.loaded; }));
    return s.mode + ": " + grouped(s.deferred) + " deferred and " + grouped(s.dropped) + " dropped in " +
           grouped(s.modules) + " modules; " + grouped(loaded) + " of the " + grouped(s.proxies.size()) +
           " deferred imports run were loaded";
}

}  // namespace

ImportSummary& import_summary() {
    static ImportSummary* summary = new ImportSummary();  // never destroyed, as early_free_summary()
    return *summary;
}

std::string format_allocator_stats_json(const char* allocator, const alloc::StatsSnapshot* counted,
                                        const alloc::ArenaStats* arena) {
    JsonWriter w;
    w.begin_object();
    w.key("allocator");
    if (allocator != nullptr)
        w.string(allocator);
    else
        w.null();
    w.key("allocations");
    if (counted != nullptr)
        allocations_json(w, *counted);
    else
        w.null();
    w.key("arena");
    if (arena != nullptr)
        arena_json(w, *arena);
    else
        w.null();
    w.end_object();
    return w.take();
}

EarlyFreeSummary& early_free_summary() {
    // Never destroyed: the exit report reads it from a C atexit handler, which may run after the
    // destructors of statics constructed later than its registration.
    static EarlyFreeSummary* summary = new EarlyFreeSummary();
    return *summary;
}

std::string format_report_text(const Report& r) {
    std::string out = "shrinkpy report (pid " + std::to_string(r.pid) + ")\n";
    line(out, "allocator", r.allocator + (r.debug_hooks ? " + CPython debug hooks" : ""));
    line(out, "peak RSS (VmHWM)", mib(r.peak_rss_bytes));
    line(out, "peak private memory",
         mib(r.peak_private_bytes) + "  (smaps, " + grouped(r.private_samples) + " samples every " +
             std::to_string(r.sample_interval_ms) + " ms)");
    line(out, "bytes in use", "current " + mib(r.stats.bytes_current) + ", peak " + mib(r.stats.bytes_peak));
    uint64_t reallocs = 0, frees = 0;
    for (const alloc::DomainStats& d : r.stats.domains) {
        reallocs += d.reallocs;
        frees += d.frees;
    }
    line(out, "allocations",
         grouped(r.stats.allocs()) + "  (reallocs " + grouped(reallocs) + ", frees " + grouped(frees) + ")");
    for (int d = 0; d < alloc::kDomainCount; ++d) {
        const alloc::DomainStats& s = r.stats.domains[d];
        std::string label = std::string("  ") + alloc::domain_name(alloc::Domain(d));
        line(out, label.c_str(),
             grouped(s.allocs) + " allocs, " + mib(s.bytes_current) + " in use, peak " + mib(s.bytes_peak));
    }
    if (r.arena) {
        const alloc::ArenaStats& a = *r.arena;
        char frag[32];
        std::snprintf(frag, sizeof frag, "%.0f%%", 100.0 * a.fragmentation());
        line(out, "arena",
             "holds " + mib(a.committed_bytes) + " (peak " + mib(a.committed_peak_bytes) + "), blocks " +
                 mib(a.in_use_bytes) + ", fragmentation " + frag);
        line(out, "  returned to the OS",
             grouped(a.pages_returned) + " pages of " + std::to_string(a.page_size / 1024) + " KiB in " +
                 grouped(a.purge_calls) + " calls; " + mib(a.queued_bytes) + " of empty pools and " +
                 mib(a.large_cached_bytes) + " of large mappings kept for reuse");
        if (a.max_heap_bytes != 0)
            line(out, "  heap cap", mib(a.max_heap_bytes) + ", " + grouped(a.cap_failures) + " requests refused");
        if (a.overflowed != 0)
            line(out, "  overflow",
                 grouped(a.overflowed) +
                     " requests served by the allocator before the arena (its reservation was full: ulimit -v?)");
    }
    char times[64];
    std::snprintf(times, sizeof times, "%.3f s wall, %.3f s CPU", r.wall_seconds, r.cpu_seconds);
    line(out, "time", times);
    line(out, "early freeing", early_free_text(r.early_free));
    for (const std::string& error : r.early_free.errors) line(out, "  not rewritten", error);
    line(out, "imports", imports_text(r.imports));
    for (const DeferredImport& d : r.imports.proxies) {
        const std::string what = d.name.empty() ? "import " + d.module : "from " + d.module + " import " + d.name;
        line(out, d.loaded ? "  loaded" : "  never loaded", what + "  (" + d.where + ")");
    }
    return out;
}

std::string format_report_json(const Report& r) {
    JsonWriter w;
    w.begin_object();
    w.key("schema").string("shrinkpy-report/1");
    w.key("pid").number(uint64_t(r.pid));
    w.key("argv").begin_array();
    for (const std::string& a : r.argv) w.string(a);
    w.end_array();
    w.key("allocator").begin_object();
    w.key("name").string(r.allocator);
    w.key("debug_hooks").boolean(r.debug_hooks);
    if (r.arena) {
        w.key("arena");
        arena_json(w, *r.arena);
    }
    w.end_object();
    w.key("memory").begin_object();
    w.key("peak_rss_bytes").number(r.peak_rss_bytes);
    w.key("peak_private_bytes").number(r.peak_private_bytes);
    w.key("private_samples").number(r.private_samples);
    w.key("sample_interval_ms").number(r.sample_interval_ms);
    w.end_object();
    w.key("allocations");
    allocations_json(w, r.stats);
    w.key("time").begin_object();
    w.key("wall_seconds").number(r.wall_seconds);
    w.key("cpu_seconds").number(r.cpu_seconds);
    w.end_object();
    w.key("early_free").begin_object();
    w.key("mode").string(r.early_free.mode);
    if (r.early_free.mode != "off") {
        w.key("scope").string(r.early_free.scope);
        w.key("modules").number(r.early_free.modules);
        w.key("code_objects").number(r.early_free.code_objects);
        w.key("releases").number(r.early_free.releases);
        w.key("skipped").begin_object();
        for (const auto& [rule, n] : r.early_free.skipped) w.key(rule).number(n);
        w.end_object();
        w.key("errors").begin_array();
        for (const std::string& e : r.early_free.errors) w.string(e);
        w.end_array();
    }
    w.end_object();
    w.key("imports").begin_object();
    w.key("mode").string(r.imports.mode);
    if (r.imports.mode != "off") {
        w.key("modules").number(r.imports.modules);
        w.key("deferred").number(r.imports.deferred);
        w.key("dropped").number(r.imports.dropped);
        w.key("deferred_imports").begin_array();
        for (const DeferredImport& d : r.imports.proxies) {
            w.begin_object();
            w.key("where").string(d.where);
            w.key("module").string(d.module);
            w.key("name").string(d.name);
            w.key("loaded").boolean(d.loaded);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    w.end_object();
    return w.take() + "\n";
}

}  // namespace shrinkpy::runtime
