#include "options.hpp"

#include <charconv>
#include <cstdio>

#include "json_writer.hpp"

// Set by the trimmed interpreter's build (boards/, `shrinkpy build`): the board profile's name and
// its option values, "ENV=value,ENV=value". Empty for shrinkpython itself.
#ifndef SHRINKPY_BOARD_NAME
#define SHRINKPY_BOARD_NAME ""
#endif
#ifndef SHRINKPY_BOARD_DEFAULTS
#define SHRINKPY_BOARD_DEFAULTS ""
#endif

namespace shrinkpy::runtime {
namespace {

// Order follows OptionId; checked below.
constexpr std::array<OptionSpec, kOptionCount> kTable = {{
    {OptionId::allocator, "allocator", "SHRINKPY_ALLOCATOR", OptionKind::choice, "arena", "",
     "arena|pymalloc|malloc|mimalloc|pymalloc-indirect", true,
     "allocator for CPython's RAW, MEM and OBJ domains: arena gives freed pages back to the OS (SHRINKPY_ARENA_*). "
     "pymalloc-indirect is a measuring anchor: pymalloc reached through the allocator pointer, as every allocator "
     "but CPython's own is (python3.11 inlines pymalloc where it calls it). Unset, PYTHONMALLOC=malloc keeps glibc "
     "malloc as in python3.11; PYTHONMALLOC=debug and -X dev add CPython's "
     "debug hooks on top of any choice"},
    {OptionId::report, "report", "SHRINKPY_REPORT", OptionKind::text, "", "", "", false,
     "memory report at exit: '-' prints it on stderr, a path writes JSON (schema: report.schema.json); "
     "empty or off for none"},
    {OptionId::timeline, "timeline", "SHRINKPY_TIMELINE", OptionKind::text, "", "", "", false,
     "a path: write RSS, private memory and the allocator's bytes in use at every sample as JSON at exit "
     "(`shrinkpy run --timeline` draws it); empty or off for none"},
    {OptionId::sample_interval, "sample_interval", "SHRINKPY_SAMPLE_INTERVAL", OptionKind::duration_ms, "10", "ms", "",
     false, "period of the memory sampler thread while a report or a timeline is requested (pyperf uses 10 ms)"},
    {OptionId::gc_threshold, "gc_threshold", "SHRINKPY_GC_THRESHOLD", OptionKind::count, "700", "allocations", "",
     false,
     "the cyclic garbage collector's generation-0 threshold (gc.set_threshold's first value; CPython's default is "
     "700, 0 turns automatic collection off); set only when it differs from the default"},
    {OptionId::early_free, "early_free", "SHRINKPY_EARLY_FREE", OptionKind::choice, "safe", "", "off|safe|aggressive",
     false,
     "early freeing: code is rewritten as it loads so that values die at their last use. safe frees only what "
     "cannot own a resource; aggressive frees everything the program no longer reads; off loads nothing of it"},
    {OptionId::rewrite, "rewrite", "SHRINKPY_REWRITE", OptionKind::choice, "user", "", "main|user|all", false,
     "which code early freeing and the import pass rewrite: __main__ only, everything outside the standard "
     "library and site-packages, or all of it"},
    {OptionId::early_free_ignore, "early_free_ignore", "SHRINKPY_EARLY_FREE_IGNORE", OptionKind::text, "", "", "",
     false,
     "rules of the early-freeing policy to switch off, comma-separated (`shrinkpy analyze --rules` lists them); "
     "only for showing what a rule prevents: it lets programs break"},
    {OptionId::max_heap, "max_heap", "SHRINKPY_MAX_HEAP", OptionKind::bytes, "0", "bytes", "", false,
     "arena: cap on the memory it holds from the OS (pools, empty pools kept for reuse, large mappings); an "
     "allocation beyond it fails and CPython raises MemoryError. 0 for none"},
    {OptionId::arena_reserve, "arena_reserve", "SHRINKPY_ARENA_RESERVE", OptionKind::bytes, "16G", "bytes", "", false,
     "arena: address space reserved once for small and medium blocks (no memory until used; at most 16G; halved "
     "until the OS grants it, and under ulimit -v until it takes at most half of what is left)"},
    {OptionId::arena_size, "arena_size", "SHRINKPY_ARENA_SIZE", OptionKind::bytes, "1M", "bytes", "", false,
     "arena: the slice of the reservation committed and decommitted at once, and the largest pool (a power of two, "
     "at least 16 OS pages)"},
    {OptionId::arena_large, "arena_large", "SHRINKPY_ARENA_LARGE", OptionKind::bytes, "64K", "bytes", "", false,
     "arena: requests above this get a mapping of their own, unmapped on free (512 bytes to half an arena)"},
    {OptionId::arena_retain, "arena_retain", "SHRINKPY_ARENA_RETAIN", OptionKind::bytes, "256K", "bytes", "", false,
     "arena: empty pools kept resident for reuse before their pages go back to the OS (MADV_DONTNEED), unless the "
     "arena would pass its peak; the hysteresis that keeps a loop from refaulting the same pages"},
    {OptionId::arena_pool_blocks, "arena_pool_blocks", "SHRINKPY_ARENA_POOL_BLOCKS", OptionKind::count, "8", "blocks",
     "", false,
     "arena: under sustained demand, the pools of a medium size class grow until they hold this many blocks"},
    {OptionId::arena_purge_delay, "arena_purge_delay", "SHRINKPY_ARENA_PURGE_DELAY", OptionKind::count, "1000", "ms",
     "", false,
     "arena: empty pools beyond SHRINKPY_ARENA_RETAIN go back to the OS this long after they emptied unless reused "
     "first (a program that drops data and builds more reuses its pages instead of faulting them in again); sooner "
     "when the arena would otherwise pass its peak, or at gc.collect(). 0: at once"},
    {OptionId::imports, "imports", "SHRINKPY_IMPORTS", OptionKind::choice, "defer", "", "off|defer|drop", false,
     "the import pass: defer binds an import whose names are read only inside functions to a proxy that imports "
     "at first use; drop also removes imports nothing reads; off imports as written (`shrinkpy analyze --imports` "
     "shows each verdict and why)"},
    {OptionId::imports_eager, "imports_eager", "SHRINKPY_IMPORTS_EAGER", OptionKind::text, "", "", "", false,
     "modules the import pass must leave as written, with their submodules, comma-separated (as the "
     "`# shrinkpy: eager` pragma does for one import line)"},
}};

constexpr bool table_in_id_order() {
    for (size_t i = 0; i < kTable.size(); ++i) {
        if (size_t(kTable[i].id) != i) return false;
    }
    return true;
}
static_assert(table_in_id_order(), "kTable rows must follow OptionId");

constexpr bool is_choice(const OptionSpec& spec, std::string_view value) {
    std::string_view choices = spec.choices;
    while (!choices.empty()) {
        size_t bar = choices.find('|');
        if (choices.substr(0, bar) == value) return true;
        if (bar == std::string_view::npos) break;
        choices.remove_prefix(bar + 1);
    }
    return false;
}

constexpr bool is_count(std::string_view value) {
    if (value.empty() || value.size() > 9) return false;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// The problem with `value` for `spec`, or "" when it is valid.
// Digits with an optional K, M or G (parse_number's syntax, short enough not to overflow).
constexpr bool is_size(std::string_view value) {
    if (!value.empty() && (value.back() == 'K' || value.back() == 'k' || value.back() == 'M' || value.back() == 'm' ||
                           value.back() == 'G' || value.back() == 'g'))
        value.remove_suffix(1);
    return value.size() <= 10 && is_count(value);
}

constexpr const char* value_problem(const OptionSpec& spec, std::string_view value) {
    switch (spec.kind) {
        case OptionKind::choice: return is_choice(spec, value) ? "" : " is not one of: ";
        case OptionKind::count: return is_count(value) ? "" : " is not a whole number of ";
        case OptionKind::duration_ms: return is_count(value) && value != "0" ? "" : " is not a positive number of ";
        case OptionKind::bytes: return is_size(value) ? "" : " is not a number (with K, M or G) of ";
        case OptionKind::text: return "";
    }
    return "";
}

constexpr const OptionSpec* spec_by_env(std::string_view env) {
    for (const OptionSpec& spec : kTable) {
        if (env == spec.env) return &spec;
    }
    return nullptr;
}

// Calls f(spec, value) for each "ENV=value" of a board's defaults; false when one names no option,
// has no '=', or holds a value the option does not accept.
template <typename F>
constexpr bool for_each_board_default(std::string_view text, F f) {
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
        if (item.empty()) continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) return false;
        const OptionSpec* spec = spec_by_env(item.substr(0, eq));
        if (spec == nullptr || *value_problem(*spec, item.substr(eq + 1)) != '\0') return false;
        f(*spec, item.substr(eq + 1));
    }
    return true;
}

static_assert(for_each_board_default(SHRINKPY_BOARD_DEFAULTS, [](const OptionSpec&, std::string_view) {}),
              "SHRINKPY_BOARD_DEFAULTS names an option the table lacks or a value it does not accept");

std::string choices_text(const OptionSpec& spec) {
    std::string out;
    for (char c : std::string_view(spec.choices)) out += c == '|' ? std::string(", ") : std::string(1, c);
    return out;
}

}  // namespace

const std::array<OptionSpec, kOptionCount>& option_table() { return kTable; }

std::string_view board_name() { return SHRINKPY_BOARD_NAME; }
std::string_view board_defaults() { return SHRINKPY_BOARD_DEFAULTS; }

const OptionSpec& option_spec(OptionId id) { return kTable[size_t(id)]; }

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
    }
    return out;
}

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
    return read(lookup, board_defaults(), warnings, error);
}

Options Options::read(const Lookup& lookup, std::string_view board, std::vector<std::string>& warnings,
                      std::optional<std::string>& error) {
    Options options;
    for (const OptionSpec& spec : kTable) {
        options.values_[size_t(spec.id)] = spec.default_value;
        options.sources_[size_t(spec.id)] = OptionSource::built_in_default;
    }
    bool board_ok = for_each_board_default(board, [&](const OptionSpec& spec, std::string_view value) {
        options.values_[size_t(spec.id)] = std::string(value);
        options.sources_[size_t(spec.id)] = OptionSource::board;
    });
    if (!board_ok) error = "invalid board defaults '" + std::string(board) + "'";
    for (const OptionSpec& spec : kTable) {
        size_t i = size_t(spec.id);
        const char* raw = lookup(spec.env);
        if (raw == nullptr || (*raw == '\0' && spec.kind != OptionKind::text)) continue;
        std::string value = raw;
        std::string problem = value_problem(spec, value);
        if (!problem.empty()) {
            problem =
                spec.env + ("=" + value) + problem + (spec.kind == OptionKind::choice ? choices_text(spec) : spec.unit);
        }
        if (problem.empty()) {
            options.values_[i] = value;
            options.sources_[i] = OptionSource::environment;
        } else if (spec.strict) {
            if (!error) error = problem;
        } else {
            warnings.push_back(problem + "; using the default, " + options.values_[i]);
        }
    }
    return options;
}

uint64_t Options::number(OptionId id) const { return parse_number(text(id)).value_or(0); }

static const char* source_name(OptionSource source) {
    switch (source) {
        case OptionSource::environment: return "environment";
        case OptionSource::board: return "board";
        case OptionSource::built_in_default: break;
    }
    return "default";
}

std::string format_options(const Options& options, bool json) {
    if (json) {
        JsonWriter w;
        w.begin_array();
        for (const OptionSpec& spec : kTable) {
            w.begin_object();
            w.key("name").string(spec.name);
            w.key("env").string(spec.env);
            w.key("value").string(options.text(spec.id));
            w.key("source").string(source_name(options.source(spec.id)));
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
        std::string from;
        if (options.source(spec.id) == OptionSource::environment) from = "  (from the environment)";
        if (options.source(spec.id) == OptionSource::board) from = "  (board " + std::string(board_name()) + ")";
        std::snprintf(line, sizeof line, "%-26s %-10s %s%s\n", spec.env, value.empty() ? "''" : value.c_str(),
                      spec.unit, from.c_str());
        out += line;
        out += "    ";
        out += spec.help;
        if (*spec.choices) out += std::string(" [") + choices_text(spec) + "]";
        out += "\n";
    }
    return out;
}

}  // namespace shrinkpy::runtime
