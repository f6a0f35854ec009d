// The one options table of shrinkpy: every knob the launcher, the CLI and the board profiles
// understand, with its environment variable, default, unit and help. `shrinkpython --print-options`
// dumps it with the effective values; the Python side reads it from there (--print-options=json).
//
// Values come from the environment, over the board's defaults (a trimmed interpreter built by
// `shrinkpy build --board X` has its profile's values compiled in as SHRINKPY_BOARD_DEFAULTS,
// "ENV=value,ENV=value"), over the table's. A value that cannot be parsed warns and keeps the default,
// except for options marked strict (the allocator), where running with something other than what
// the user asked for would make every measurement a lie: those are errors.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shrinkpy::runtime {

enum class OptionId {
    allocator,
    report,
    timeline,
    sample_interval,
    gc_threshold,
    early_free,
    rewrite,
    early_free_ignore,
    max_heap,
    arena_reserve,
    arena_size,
    arena_large,
    arena_retain,
    arena_pool_blocks,
    arena_purge_delay,
    imports,
    imports_eager,
    count_
};
inline constexpr size_t kOptionCount = size_t(OptionId::count_);

// count: a whole number; bytes: a number of bytes with an optional K/M/G suffix.
enum class OptionKind { choice, text, duration_ms, count, bytes };

struct OptionSpec {
    OptionId id;
    const char* name;  // as the CLI and the report spell it
    const char* env;   // environment variable
    OptionKind kind;
    const char* default_value;  // in the option's own syntax
    const char* unit;           // "" for choices and text
    const char* choices;        // "a|b|c" for OptionKind::choice
    bool strict;                // an invalid value is an error, not a warning
    const char* help;
};

const std::array<OptionSpec, kOptionCount>& option_table();
const OptionSpec& option_spec(OptionId id);

// Where a value came from, for --print-options and the report.
enum class OptionSource { built_in_default, board, environment };

class Options {
public:
    using Lookup = std::function<const char*(const char* name)>;

    // Reads every option through `lookup` (getenv in the launcher, a map in tests). Warnings for
    // ignored values go to `warnings`; a strict option's invalid value sets `error`.
    static Options read(const Lookup& lookup, std::vector<std::string>& warnings, std::optional<std::string>& error);
    // The same over explicit board defaults ("ENV=value,..."); an invalid one is an error.
    static Options read(const Lookup& lookup, std::string_view board_defaults, std::vector<std::string>& warnings,
                        std::optional<std::string>& error);

    const std::string& text(OptionId id) const { return values_[size_t(id)]; }
    // An output path option (report, timeline): empty for none, and "off" too, as every on/off
    // option here says it (SHRINKPY_EARLY_FREE=off), rather than a file named "off".
    const std::string& output_path(OptionId id) const {
        static const std::string none;
        return text(id) == "off" ? none : text(id);
    }
    uint64_t number(OptionId id) const;  // for duration_ms, count and bytes options, in the option's unit
    OptionSource source(OptionId id) const { return sources_[size_t(id)]; }

private:
    std::array<std::string, kOptionCount> values_;
    std::array<OptionSource, kOptionCount> sources_{};
};

// The board this interpreter was built for ("" for shrinkpython itself) and its compiled-in defaults.
std::string_view board_name();
std::string_view board_defaults();

// A value in K/M/G-suffixed or plain syntax as a number of `unit`s; nullopt when malformed.
std::optional<uint64_t> parse_number(std::string_view text);

// "a, b,c" -> {"a", "b", "c"}: the items of a comma-separated option, spaces trimmed, empties dropped.
std::vector<std::string> split_list(std::string_view text);

// The table with effective values: a human-readable listing, or JSON for the Python side.
std::string format_options(const Options& options, bool json);

}  // namespace shrinkpy::runtime
