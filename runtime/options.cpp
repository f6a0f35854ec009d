#include "options.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

#include "json_writer.hpp"

namespace shrinkpy::runtime {
namespace {

// Order follows OptionId; checked below.
constexpr std::array<OptionSpec, kOptionCount> kTable = {{
    {OptionId::allocator, "allocator", "SHRINKPY_ALLOCATOR", OptionKind::choice, "arena", "",
     "arena|pymalloc|malloc|mimalloc", true,
     "allocator for CPython's RAW, MEM and OBJ domains: arena gives freed pages back to the OS (SHRINKPY_ARENA_*). "
     "Unset, PYTHONMALLOC=malloc keeps glibc malloc as in python3.11; PYTHONMALLOC=debug and -X dev add CPython's "
     "debug hooks on top of any choice"},
    {OptionId::report, "report", "SHRINKPY_REPORT", OptionKind::text, "", "", "", false,
     "memory report at exit: '-' prints it on stderr, a path writes JSON (schema: report.schema.json); "
     "empty for none"},
    {OptionId::timeline, "timeline", "SHRINKPY_TIMELINE", OptionKind::text, "", "", "", false,
     "a path: write RSS, private memory and the allocator's bytes in use at every sample as JSON at exit "
     "(`shrinkpy run --timeline` draws it); empty for none"},
    {OptionId::sample_interval, "sample_interval", "SHRINKPY_SAMPLE_INTERVAL", OptionKind::duration_ms, "10", "ms", "",
     false, "period of the memory sampler thread while a report or a timeline is requested (pyperf uses 10 ms)"},
    {OptionId::max_heap, "max_heap", "SHRINKPY_MAX_HEAP", OptionKind::bytes, "0", "bytes", "", false,
     "arena: cap on the memory it holds from the OS (pools, empty pools kept for reuse, large mappings); an "
     "allocation beyond it fails and CPython raises MemoryError. 0 for none"},
    {OptionId::arena_reserve, "arena_reserve", "SHRINKPY_ARENA_RESERVE", OptionKind::bytes, "32G", "bytes", "", false,
     "arena: address space reserved once for small and medium blocks (no memory until used; halved until the OS "
     "grants it)"},
    {OptionId::arena_size, "arena_size", "SHRINKPY_ARENA_SIZE", OptionKind::bytes, "1M", "bytes", "", false,
     "arena: the slice of the reservation committed and decommitted at once, and the largest pool (a power of two, "
     "at least 16 OS pages)"},
    {OptionId::arena_large, "arena_large", "SHRINKPY_ARENA_LARGE", OptionKind::bytes, "64K", "bytes", "", false,
     "arena: requests above this get a mapping of their own, unmapped on free (512 bytes to half an arena)"},
    {OptionId::arena_retain, "arena_retain", "SHRINKPY_ARENA_RETAIN", OptionKind::bytes, "1M", "bytes", "", false,
     "arena: empty pools kept resident for reuse before their pages go back to the OS (MADV_DONTNEED); the "
     "hysteresis that keeps a loop from refaulting the same pages"},
    {OptionId::arena_pool_blocks, "arena_pool_blocks", "SHRINKPY_ARENA_POOL_BLOCKS", OptionKind::count, "8", "blocks",
     "", false,
     "arena: under sustained demand, the pools of a medium size class grow until they hold this many blocks"},
}};

constexpr bool table_in_id_order() {
    for (size_t i = 0; i < kTable.size(); ++i) {
        if (size_t(kTable[i].id) != i) return false;
    }
    return true;
}
static_assert(table_in_id_order(), "kTable rows must follow OptionId");

bool is_choice(const OptionSpec& spec, std::string_view value) {
    std::string_view choices = spec.choices;
    while (!choices.empty()) {
        size_t bar = choices.find('|');
        if (choices.substr(0, bar) == value) return true;
        if (bar == std::string_view::npos) break;
        choices.remove_prefix(bar + 1);
    }
    return false;
}

std::string choices_text(const OptionSpec& spec) {
    std::string out;
    for (char c : std::string_view(spec.choices)) out += c == '|' ? std::string(", ") : std::string(1, c);
    return out;
}

}  // namespace

const std::array<OptionSpec, kOptionCount>& option_table() { return kTable; }

const OptionSpec& option_spec(OptionId id) { return kTable[size_t(id)]; }

std::optional<uint64_t> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    uint64_t scale = 1;
    switch (text.back()) {
        case 'k':
        case 'K': scale = uint64_t{1} << 10; break;
        case 'm':
        case 'M': scale = uint64_t{1} << 20; break;
        case 'g':
        case 'G': scale = uint64_t{1} << 30; break;
        default: break;
    }
    if (scale != 1) text.remove_suffix(1);
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (value > UINT64_MAX / scale) return std::nullopt;
    return value * scale;
}

Options Options::read(const Lookup& lookup, std::vector<std::string>& warnings, std::optional<std::string>& error) {
    Options options;
    for (const OptionSpec& spec : kTable) {
        size_t i = size_t(spec.id);
        options.values_[i] = spec.default_value;
        options.sources_[i] = OptionSource::built_in_default;
        const char* raw = lookup(spec.env);
        if (raw == nullptr || (*raw == '\0' && spec.kind != OptionKind::text)) continue;
        std::string value = raw;
        std::string problem;
        if (spec.kind == OptionKind::choice && !is_choice(spec, value)) {
            problem = spec.env + ("=" + value) + " is not one of: " + choices_text(spec);
        } else if (spec.kind == OptionKind::duration_ms && (!parse_number(value) || *parse_number(value) == 0)) {
            problem = spec.env + ("=" + value) + " is not a positive number of " + spec.unit;
        } else if (spec.kind == OptionKind::bytes && !parse_number(value)) {
            problem = spec.env + ("=" + value) + " is not a size (a number of bytes, optionally with K, M or G)";
        } else if (spec.kind == OptionKind::count &&
                   (!parse_number(value) || *parse_number(value) == 0 || !std::isdigit((unsigned char)value.back()))) {
            problem = spec.env + ("=" + value) + " is not a positive whole number";
        }
        if (problem.empty()) {
            options.values_[i] = value;
            options.sources_[i] = OptionSource::environment;
        } else if (spec.strict) {
            if (!error) error = problem;
        } else {
            warnings.push_back(problem + "; using the default, " + spec.default_value);
        }
    }
    return options;
}

uint64_t Options::number(OptionId id) const { return parse_number(text(id)).value_or(0); }

std::string format_options(const Options& options, bool json) {
    if (json) {
        JsonWriter w;
        w.begin_array();
        for (const OptionSpec& spec : kTable) {
            w.begin_object();
            w.key("name").string(spec.name);
            w.key("env").string(spec.env);
            w.key("value").string(options.text(spec.id));
            w.key("source").string(options.source(spec.id) == OptionSource::environment ? "environment" : "default");
            w.key("default").string(spec.default_value);
            w.key("unit").string(spec.unit);
            w.key("choices").begin_array();
            std::string_view choices = spec.choices;
            while (!choices.empty()) {
                size_t bar = choices.find('|');
                w.string(choices.substr(0, bar));
                choices.remove_prefix(bar == std::string_view::npos ? choices.size() : bar + 1);
            }
            w.end_array();
            w.key("help").string(spec.help);
            w.end_object();
        }
        w.end_array();
        return w.take() + "\n";
    }
    std::string out;
    for (const OptionSpec& spec : kTable) {
        const std::string& value = options.text(spec.id);
        char line[256];
        std::snprintf(line, sizeof line, "%-26s %-10s %s%s\n", spec.env, value.empty() ? "''" : value.c_str(),
                      spec.unit,
                      options.source(spec.id) == OptionSource::environment ? "  (from the environment)" : "");
        out += line;
        out += "    ";
        out += spec.help;
        if (*spec.choices) out += std::string(" [") + choices_text(spec) + "]";
        out += "\n";
    }
    return out;
}

}  // namespace shrinkpy::runtime
