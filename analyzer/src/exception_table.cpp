// ====================================================================================================
// co_exceptiontable, 3.11 (Objects/exception_handling_notes.txt; assemble_exception_table and
// assemble_emit_exception_table_item in Python/compile.c).
//
// Each entry is four varints: start, size, target, (depth << 1) | lasti, in code units. A varint is
// big-endian 6-bit groups; every group but the last has 0x40 set; the first byte of an entry also
// has 0x80 set, which is what lets ceval binary-search the table (get_exception_handler).
// ====================================================================================================
#include "shrinkpy/analyzer/concrete.hpp"

namespace shrinkpy::analyzer {
namespace {

constexpr std::uint8_t kContinue = 0x40;
constexpr std::uint8_t kEntryStart = 0x80;
constexpr std::uint32_t kLimit = 1u << 30;  // assert(value < (1 << 30)) in compile.c

class Reader {
public:
    explicit Reader(const std::string& bytes) : bytes_(bytes) {}
    bool done() const { return pos_ >= bytes_.size(); }
    std::size_t pos() const { return pos_; }

    // One varint; `first` says whether this byte must carry the entry-start bit.
    Result<std::uint32_t> varint(bool first, const char* what) {
        std::uint32_t value = 0;
        for (int groups = 0;; ++groups) {
            if (pos_ >= bytes_.size()) return error(std::string("truncated entry: ") + what + " is missing");
            const auto byte = static_cast<std::uint8_t>(bytes_[pos_]);
            const bool start_bit = (byte & kEntryStart) != 0;
            if (start_bit != (first && groups == 0)) {
                return error(start_bit ? std::string("entry-start bit inside an entry (reading ") + what + ")"
                                       : std::string("entry does not start with the 0x80 bit"));
            }
            if (groups == 5) return error(std::string(what) + " has more than five 6-bit groups");
            value = (value << 6) | (byte & 0x3F);
            ++pos_;
            if ((byte & kContinue) == 0) break;
        }
        if (value >= kLimit) return error(std::string(what) + " is not below 2**30");
        return value;
    }

    Error error(std::string reason) const {
        return make_error(Section::exceptiontable, static_cast<std::int64_t>(pos_), -1, std::move(reason));
    }

private:
    const std::string& bytes_;
    std::size_t pos_ = 0;
};

void write_item(std::string& out, std::uint32_t value, std::uint8_t msb) {
    // Same byte sequence as assemble_emit_exception_table_item(): leading zero groups are skipped,
    // and zero is still one byte (bytecode 0.15.1, PR #132).
    for (int shift = 24; shift >= 6; shift -= 6) {
        if (value >= (1u << shift)) {
            out.push_back(static_cast<char>(((value >> shift) & 0x3F) | kContinue | msb));
            msb = 0;
        }
    }
    out.push_back(static_cast<char>((value & 0x3F) | msb));
}

}  // namespace

Result<std::vector<ExceptionTableEntry>> decode_exception_table(const std::string& table, std::uint32_t code_units) {
    std::vector<ExceptionTableEntry> entries;
    Reader reader(table);
    std::uint32_t previous_end = 0;
    while (!reader.done()) {
        const std::size_t entry_pos = reader.pos();
        auto start = reader.varint(true, "start");
        if (!start) return start.error();
        auto size = reader.varint(false, "size");
        if (!size) return size.error();
        auto target = reader.varint(false, "target");
        if (!target) return target.error();
        auto depth_lasti = reader.varint(false, "depth");
        if (!depth_lasti) return depth_lasti.error();
        const auto at_entry = [&](std::string reason) {
            return make_error(Section::exceptiontable, static_cast<std::int64_t>(entry_pos), -1, std::move(reason));
        };
        ExceptionTableEntry entry{*start, *start + *size, *target, *depth_lasti >> 1, (*depth_lasti & 1) != 0};
        if (*size == 0) return at_entry("empty range");
        if (entry.end > code_units || entry.target >= code_units) {
            return at_entry("range " + std::to_string(entry.start * 2) + "-" + std::to_string(entry.end * 2) +
                            " or target " + std::to_string(entry.target * 2) + " lies outside co_code (" +
                            std::to_string(code_units * 2) + " bytes)");
        }
        if (entry.start < previous_end) return at_entry("entries overlap or are not sorted by start");
        previous_end = entry.end;
        entries.push_back(entry);
    }
    return entries;
}

std::string encode_exception_table(const std::vector<ExceptionTableEntry>& entries) {
    std::string out;
    for (const ExceptionTableEntry& e : entries) {
        write_item(out, e.start, kEntryStart);
        write_item(out, e.end - e.start, 0);
        write_item(out, e.target, 0);
        write_item(out, (e.depth << 1) | (e.lasti ? 1u : 0u), 0);
    }
    return out;
}

}  // namespace shrinkpy::analyzer
