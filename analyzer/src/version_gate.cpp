// ====================================================================================================
// Magic numbers -> CPython versions, and the .pyc header.
// ====================================================================================================
#include "shrinkpy/analyzer/version_gate.hpp"

#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

struct MagicRange {
    std::uint16_t first, last;
    const char* version;
};

// Ranges from the table in Lib/importlib/_bootstrap_external.py (each release's final magic is the
// last number of its range; the gaps between ranges were reserved for alphas).
constexpr MagicRange kRanges[] = {
    {3000, 3131, "3.0"},   {3140, 3151, "3.1"},   {3160, 3180, "3.2"},   {3190, 3230, "3.3"},
    {3250, 3310, "3.4"},   {3320, 3351, "3.5"},   {3360, 3379, "3.6"},   {3390, 3399, "3.7"},
    {3400, 3419, "3.8"},   {3420, 3429, "3.9"},   {3430, 3449, "3.10"},  {3450, 3494, "3.11 pre-release"},
    {3495, 3495, "3.11"},  {3500, 3549, "3.12"},  {3550, 3599, "3.13"},  {3600, 3649, "3.14"},
    {3650, 3699, "3.15"},  {20121, 20121, "1.5"}, {50823, 50823, "2.0"}, {60202, 60202, "2.1"},
    {60717, 60717, "2.2"}, {62011, 62021, "2.3"}, {62041, 62061, "2.4"}, {62071, 62131, "2.5"},
    {62151, 62161, "2.6"}, {62171, 62211, "2.7"},
};

}  // namespace

std::string python_version_of_magic(std::uint16_t magic) {
    for (const MagicRange& range : kRanges) {
        if (magic >= range.first && magic <= range.last) return range.version;
    }
    return "unknown";
}

Status check_magic(std::uint16_t magic) {
    if (magic == kMagic311) return Ok{};
    return make_error(Section::header, 0, -1,
                      "bytecode magic number " + std::to_string(magic) + " is CPython " +
                          python_version_of_magic(magic) + "; shrinkpy analyzes only CPython 3.11 bytecode (magic " +
                          std::to_string(kMagic311) + ")");
}

Result<PycHeader> read_pyc_header(std::string_view bytes) {
    if (bytes.size() < 16) {
        return make_error(
            Section::header, static_cast<std::int64_t>(bytes.size()), -1,
            "a .pyc file starts with a 16-byte header, this one has " + std::to_string(bytes.size()) + " bytes");
    }
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    PycHeader header;
    header.magic = static_cast<std::uint16_t>(byte(0) | (byte(1) << 8));
    if (byte(2) != '\r' || byte(3) != '\n') {
        return make_error(Section::header, 2, -1, "not a .pyc file: the magic number is not followed by \\r\\n");
    }
    if (Status gate = check_magic(header.magic); !gate) return gate.error();
    header.flags = byte(4) | (byte(5) << 8) | (byte(6) << 16) | (static_cast<std::uint32_t>(byte(7)) << 24);
    if (header.flags > 3) {
        return make_error(Section::header, 4, -1,
                          "invalid .pyc flags " + std::to_string(header.flags) + " (PEP 552 allows 0-3)");
    }
    return header;
}

}  // namespace shrinkpy::analyzer
