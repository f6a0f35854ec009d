// ====================================================================================================
// Concrete layer on hand-assembled bytes: EXTENDED_ARG (redundant ones included), CACHE units,
// relative jumps, exception-table and location-table varints, and the errors. Paired with
// tests/python/test_roundtrip.py and test_bad_input.py.
// ====================================================================================================
#include <gtest/gtest.h>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/concrete.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "shrinkpy/analyzer/version_gate.hpp"

namespace shrinkpy::analyzer {
namespace {

using testing::units;
constexpr int RESUME = 151, NOP = 9, EXT = 144, LOAD_FAST = 124, LOAD_GLOBAL = 116, JUMP_FORWARD = 110,
              JUMP_BACKWARD = 140, RETURN_VALUE = 83, CACHE = 0;

TEST(Concrete, ExtendedArgAndCaches) {
    const std::string code = units({{RESUME, 0},
                                    {EXT, 1},
                                    {LOAD_FAST, 2},
                                    {EXT, 0},
                                    {NOP, 0},
                                    {LOAD_GLOBAL, 3},
                                    {CACHE, 0},
                                    {CACHE, 0},
                                    {CACHE, 0},
                                    {CACHE, 0},
                                    {CACHE, 0},
                                    {RETURN_VALUE, 0}});
    auto decoded = decode_code_units(code);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    ASSERT_EQ(decoded->size(), 5u);
    EXPECT_EQ((*decoded)[1].arg, 0x102u);
    EXPECT_EQ((*decoded)[1].prefixes, 1);
    EXPECT_EQ((*decoded)[2].opcode, NOP);  // a redundant EXTENDED_ARG 0 before a NOP stays
    EXPECT_EQ((*decoded)[2].prefixes, 1);
    EXPECT_EQ((*decoded)[3].caches, 5);
    EXPECT_EQ((*decoded)[4].offset, 11u);  // 1 + 2 + 2 + 6 units before it
    auto encoded = encode_code_units(*decoded);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, code);
}

TEST(Concrete, JumpTargets) {
    auto decoded = decode_code_units(units({{NOP, 0}, {JUMP_FORWARD, 1}, {NOP, 0}, {JUMP_BACKWARD, 4}}));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(jump_target_units((*decoded)[1]), 3);  // after the jump (2) + 1
    EXPECT_EQ(jump_target_units((*decoded)[3]), 0);  // after the jump (4) - 4
}

TEST(Concrete, CodeErrors) {
    const auto error_of = [](const std::string& code) { return decode_code_units(code).error(); };
    EXPECT_NE(error_of("\x97").reason.find("odd number"), std::string::npos);
    Error e = error_of(units({{RESUME, 0}, {EXT, 1}}));
    EXPECT_EQ(e.offset, 2);
    EXPECT_EQ(e.opcode, EXT);
    e = error_of(units({{230, 0}}));
    EXPECT_NE(e.reason.find("not a CPython 3.11 opcode"), std::string::npos);
    EXPECT_EQ(e.opcode, 230);
    e = error_of(units({{LOAD_GLOBAL, 0}, {CACHE, 0}}));
    EXPECT_NE(e.reason.find("needs 5 CACHE units"), std::string::npos);
    e = error_of(units({{LOAD_GLOBAL, 0}, {CACHE, 0}, {CACHE, 1}, {CACHE, 0}, {CACHE, 0}, {CACHE, 0}}));
    EXPECT_EQ(e.offset, 4);
    EXPECT_NE(error_of(units({{EXT, 0}, {EXT, 0}, {EXT, 0}, {EXT, 0}, {NOP, 0}})).reason.find("three"),
              std::string::npos);
}

TEST(ExceptionTable, VarintsRoundTrip) {
    const std::vector<ExceptionTableEntry> entries = {
        {0, 1, 0, 0, false}, {1, 70, 200, 3, true}, {70, 5000, 300000, 63, false}, {5000, (1u << 29), 7, 1, true}};
    const std::string bytes = encode_exception_table(entries);
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), 0x80);  // zero is still written, with the start bit
    auto back = decode_exception_table(bytes, 1u << 30);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, entries);
}

TEST(ExceptionTable, Errors) {
    const std::string one = encode_exception_table({{2, 4, 6, 1, false}});
    auto truncated = decode_exception_table(one.substr(0, one.size() - 1), 10);
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().section, Section::exceptiontable);
    EXPECT_EQ(truncated.error().offset, static_cast<std::int64_t>(one.size() - 1));
    EXPECT_FALSE(decode_exception_table(one, 5));  // target outside the code
    std::string no_start = one;
    no_start[0] = static_cast<char>(no_start[0] & 0x7F);
    EXPECT_FALSE(decode_exception_table(no_start, 10));
    EXPECT_FALSE(decode_exception_table(one + one, 10));  // overlapping entries
}

TEST(LocationTable, EveryFormRoundTrips) {
    // short, one-line (delta 1), no-columns, long (multi-line), none, short again.
    const std::vector<Position> positions = {{10, 10, 4, 9},  {11, 11, 100, 120}, {13, 13, -1, -1},
                                             {9, 12, 0, 300}, {-1, -1, -1, -1},   {9, 9, 79, 80}};
    const std::vector<std::uint32_t> sizes = {1, 2, 11, 1, 1, 3};
    auto planned = plan_location_entries(sizes, positions, 10);
    ASSERT_TRUE(planned);
    ASSERT_EQ(planned->size(), 7u);  // the 11-unit instruction takes two entries (8 + 3)
    EXPECT_EQ((*planned)[0].form, 0);
    EXPECT_EQ((*planned)[1].form, 11);
    EXPECT_EQ((*planned)[2].form, 13);
    EXPECT_EQ((*planned)[4].form, 14);
    EXPECT_EQ((*planned)[5].form, 15);
    EXPECT_EQ((*planned)[6].form, 9);  // col 79 still fits the short form (group 79 / 8)
    auto bytes = encode_location_table(*planned, 10);
    ASSERT_TRUE(bytes);
    auto back = decode_location_table(*bytes, 10);
    ASSERT_TRUE(back) << back.error().describe();
    const std::vector<Position> per_unit = positions_per_unit(*back);
    ASSERT_EQ(per_unit.size(), 19u);
    EXPECT_EQ(per_unit[0], positions[0]);
    EXPECT_EQ(per_unit[2], positions[1]);
    EXPECT_EQ(per_unit[13], positions[2]);
    EXPECT_EQ(per_unit[14], positions[3]);
    EXPECT_EQ(per_unit[15], positions[4]);
    EXPECT_EQ(per_unit[18], positions[5]);
    auto again = encode_location_table(*back, 10);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *bytes);
}

TEST(LocationTable, Errors) {
    auto truncated = decode_location_table(std::string("\xf0", 1), 1);  // long form, no varints
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().section, Section::linetable);
    EXPECT_FALSE(decode_location_table(std::string("\x01", 1), 1));  // no start bit
}

TEST(VersionGate, NamesTheVersion) {
    EXPECT_TRUE(check_magic(3495));
    EXPECT_NE(check_magic(3439).error().reason.find("CPython 3.10;"), std::string::npos);
    EXPECT_NE(check_magic(3531).error().reason.find("CPython 3.12;"), std::string::npos);
    std::string header("\x6b\x0d\r\n", 4);  // 3435: 3.10
    header.append(12, '\0');
    auto read = read_pyc_header(header);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().reason.find("3.10"), std::string::npos);
    CodeObject code;
    code.magic = 3531;
    EXPECT_FALSE(decode_concrete(code));
}

}  // namespace
}  // namespace shrinkpy::analyzer
