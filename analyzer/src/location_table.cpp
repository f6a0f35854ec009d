// ====================================================================================================
// co_linetable, 3.11 (Objects/locations.md; write_location_info_* in Python/compile.c;
// read_varint / write_varint in Include/internal/pycore_code.h).
//
// Entry header: 0x80 | (form << 3) | (length - 1). Varints here are little-endian 6-bit groups with
// 0x40 as continuation (the opposite order of the exception table); signed values are
// (|v| << 1) | sign. Line deltas are relative to the previous entry's line, starting at
// co_firstlineno; a "none" entry leaves the running line unchanged (get_line_delta()).
// ====================================================================================================
#include "shrinkpy/analyzer/concrete.hpp"

#include <cstdlib>

namespace shrinkpy::analyzer {
namespace {

constexpr int kShortMaxColumn = 80;  // write_location_info_entry(): column < 80 ...
constexpr int kShortMaxWidth = 16;   // ... and end_column - column < 16
constexpr int kOneLineMaxColumn = 128;

class Reader {
public:
    explicit Reader(const std::string& bytes) : bytes_(bytes) {}
    bool done() const { return pos_ >= bytes_.size(); }
    std::size_t pos() const { return pos_; }

    Result<std::uint8_t> byte(const char* what) {
        if (pos_ >= bytes_.size()) return error(std::string("truncated entry: ") + what + " is missing");
        const auto b = static_cast<std::uint8_t>(bytes_[pos_]);
        if (b & 0x80) return error(std::string("entry-start bit inside an entry (reading ") + what + ")");
        ++pos_;
        return b;
    }

    Result<std::uint32_t> varint(const char* what) {
        std::uint32_t value = 0;
        for (int shift = 0;; shift += 6) {
            if (shift > 30) return error(std::string(what) + " does not fit 32 bits");
            auto b = byte(what);
            if (!b) return b.error();
            value |= static_cast<std::uint32_t>(*b & 0x3F) << shift;
            if ((*b & 0x40) == 0) break;
        }
        return value;
    }

    Result<std::int64_t> signed_varint(const char* what) {
        auto v = varint(what);
        if (!v) return v.error();
        const std::int64_t magnitude = *v >> 1;
        return (*v & 1) ? -magnitude : magnitude;
    }

    Error error(std::string reason) const {
        return make_error(Section::linetable, static_cast<std::int64_t>(pos_), -1, std::move(reason));
    }
    std::size_t pos_ = 0;

private:
    const std::string& bytes_;
};

void write_varint(std::string& out, std::uint32_t value) {
    while (value >= 64) {
        out.push_back(static_cast<char>(0x40 | (value & 0x3F)));
        value >>= 6;
    }
    out.push_back(static_cast<char>(value));
}

void write_signed_varint(std::string& out, std::int64_t value) {
    write_varint(out,
                 value < 0 ? static_cast<std::uint32_t>(((-value) << 1) | 1) : static_cast<std::uint32_t>(value << 1));
}

bool fits_int(std::int64_t v) { return v >= -(1LL << 30) && v <= (1LL << 30); }

}  // namespace

Result<std::vector<LocationEntry>> decode_location_table(const std::string& table, std::int32_t firstlineno) {
    std::vector<LocationEntry> entries;
    Reader reader(table);
    std::int64_t line = firstlineno;
    while (!reader.done()) {
        const std::size_t at = reader.pos();
        const auto header = static_cast<std::uint8_t>(table[at]);
        if ((header & 0x80) == 0) return reader.error("entry does not start with the 0x80 bit");
        reader.pos_ = at + 1;
        LocationEntry entry;
        entry.form = (header >> 3) & 15;
        entry.length = static_cast<std::uint8_t>((header & 7) + 1);
        Position& p = entry.position;
        if (entry.form == static_cast<std::uint8_t>(LocationForm::none)) {
            // No location; the running line is unchanged.
        } else if (entry.form == static_cast<std::uint8_t>(LocationForm::no_columns)) {
            auto delta = reader.signed_varint("line delta");
            if (!delta) return delta.error();
            line += *delta;
            p.line = p.end_line = static_cast<std::int32_t>(line);
        } else if (entry.form == static_cast<std::uint8_t>(LocationForm::long_form)) {
            auto delta = reader.signed_varint("line delta");
            if (!delta) return delta.error();
            auto end_delta = reader.varint("end line delta");
            if (!end_delta) return end_delta.error();
            auto col = reader.varint("column");
            if (!col) return col.error();
            auto end_col = reader.varint("end column");
            if (!end_col) return end_col.error();
            line += *delta;
            if (!fits_int(line + *end_delta)) return reader.error("line number out of range");
            p.line = static_cast<std::int32_t>(line);
            p.end_line = static_cast<std::int32_t>(line + *end_delta);
            p.col = static_cast<std::int32_t>(*col) - 1;  // written as column + 1, 0 meaning None
            p.end_col = static_cast<std::int32_t>(*end_col) - 1;
        } else if (entry.form >= static_cast<std::uint8_t>(LocationForm::one_line0)) {
            line += entry.form - static_cast<std::uint8_t>(LocationForm::one_line0);
            auto col = reader.byte("column");
            if (!col) return col.error();
            auto end_col = reader.byte("end column");
            if (!end_col) return end_col.error();
            p.line = p.end_line = static_cast<std::int32_t>(line);
            p.col = *col;
            p.end_col = *end_col;
        } else {
            auto b = reader.byte("short-form columns");
            if (!b) return b.error();
            p.line = p.end_line = static_cast<std::int32_t>(line);
            p.col = entry.form * 8 + ((*b >> 4) & 7);
            p.end_col = p.col + (*b & 15);
        }
        if (!fits_int(line)) return reader.error("line number out of range");
        entries.push_back(entry);
    }
    return entries;
}

std::vector<Position> positions_per_unit(const std::vector<LocationEntry>& entries) {
    std::vector<Position> out;
    for (const LocationEntry& entry : entries) out.insert(out.end(), entry.length, entry.position);
    return out;
}

Result<std::string> encode_location_table(const std::vector<LocationEntry>& entries, std::int32_t firstlineno) {
    std::string out;
    std::int64_t line = firstlineno;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const LocationEntry& e = entries[i];
        const Position& p = e.position;
        const auto fail = [&](const std::string& reason) {
            return make_error(Section::linetable, static_cast<std::int64_t>(out.size()), -1,
                              "cannot encode entry " + std::to_string(i) + ": " + reason);
        };
        if (e.length < 1 || e.length > 8 || e.form > 15) return fail("length must be 1-8 units and form 0-15");
        out.push_back(static_cast<char>(0x80 | (e.form << 3) | (e.length - 1)));
        const std::int64_t delta = static_cast<std::int64_t>(p.line) - line;
        switch (e.form) {
            case static_cast<std::uint8_t>(LocationForm::none): break;
            case static_cast<std::uint8_t>(LocationForm::no_columns):
                write_signed_varint(out, delta);
                line = p.line;
                break;
            case static_cast<std::uint8_t>(LocationForm::long_form):
                if (p.end_line < p.line || p.col < -1 || p.end_col < -1) return fail("end before start");
                write_signed_varint(out, delta);
                write_varint(out, static_cast<std::uint32_t>(p.end_line - p.line));
                write_varint(out, static_cast<std::uint32_t>(p.col + 1));
                write_varint(out, static_cast<std::uint32_t>(p.end_col + 1));
                line = p.line;
                break;
            case 10:
            case 11:
            case 12:
                if (delta != e.form - 10 || p.col < 0 || p.col >= kOneLineMaxColumn || p.end_col < 0 ||
                    p.end_col >= kOneLineMaxColumn) {
                    return fail("position does not fit the one-line form");
                }
                out.push_back(static_cast<char>(p.col));
                out.push_back(static_cast<char>(p.end_col));
                line = p.line;
                break;
            default:  // short forms 0-9
                if (delta != 0 || p.col / 8 != e.form || p.end_col < p.col || p.end_col - p.col >= kShortMaxWidth) {
                    return fail("position does not fit the short form");
                }
                out.push_back(static_cast<char>(((p.col & 7) << 4) | (p.end_col - p.col)));
                break;
        }
    }
    return out;
}

Result<std::vector<LocationEntry>> plan_location_entries(const std::vector<std::uint32_t>& instr_sizes,
                                                         const std::vector<Position>& instr_positions,
                                                         std::int32_t firstlineno) {
    std::vector<LocationEntry> entries;
    std::int64_t line = firstlineno;  // a->a_lineno
    for (std::size_t i = 0; i < instr_sizes.size(); ++i) {
        const Position& p = instr_positions[i];
        std::uint32_t remaining = instr_sizes[i];
        // assemble_emit_location(): instructions longer than 8 units get several entries.
        while (remaining > 0) {
            const std::uint32_t length = remaining > 8 ? 8 : remaining;
            remaining -= length;
            LocationEntry entry;
            entry.length = static_cast<std::uint8_t>(length);
            entry.position = p;
            const std::int64_t delta = static_cast<std::int64_t>(p.line) - line;
            // write_location_info_entry(), 3.11.
            if (p.line < 0) {
                entry.form = static_cast<std::uint8_t>(LocationForm::none);
                entry.position = Position{};
            } else if ((p.col < 0 || p.end_col < 0) && (p.end_line == p.line || p.end_line == -1)) {
                entry.form = static_cast<std::uint8_t>(LocationForm::no_columns);
                entry.position = Position{p.line, p.line, -1, -1};
                line = p.line;
            } else if (p.col >= 0 && p.end_col >= 0 && p.end_line == p.line && delta == 0 && p.col < kShortMaxColumn &&
                       p.end_col - p.col < kShortMaxWidth && p.end_col >= p.col) {
                entry.form = static_cast<std::uint8_t>(p.col / 8);
            } else if (p.col >= 0 && p.end_col >= 0 && p.end_line == p.line && delta >= 0 && delta < 3 &&
                       p.col < kOneLineMaxColumn && p.end_col < kOneLineMaxColumn) {
                entry.form = static_cast<std::uint8_t>(10 + delta);
                line = p.line;
            } else {
                if (p.end_line < p.line) {
                    return make_error(Section::linetable, -1, -1,
                                      "instruction " + std::to_string(i) + " ends on line " +
                                          std::to_string(p.end_line) + " before its start line " +
                                          std::to_string(p.line));
                }
                entry.form = static_cast<std::uint8_t>(LocationForm::long_form);
                line = p.line;
            }
            entries.push_back(entry);
        }
    }
    return entries;
}

}  // namespace shrinkpy::analyzer
