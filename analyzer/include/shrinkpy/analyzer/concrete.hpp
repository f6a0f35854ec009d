// ====================================================================================================
// The concrete layer: CPython 3.11 code exactly as laid out in a code object.
//
//   co_code            2-byte units. An instruction = its EXTENDED_ARG prefix units + the opcode
//                      unit + cache_count(opcode) CACHE units. Offsets here are in code units.
//   co_exceptiontable  (start, end, target, depth, lasti) entries, all in code units
//                      (Objects/exception_handling_notes.txt, 3.11)
//   co_linetable       location entries of 1-8 units each (Objects/locations.md, 3.11)
//
// decode_concrete() validates everything it reads and returns an Error (never throws, never reads
// out of bounds) on malformed input; encode_*() write the same bytes back, so
// encode(decode(x)) == x for every code object CPython 3.11 produces.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

struct ConcreteInstr {
    std::uint32_t offset = 0;  // code units, of the first EXTENDED_ARG prefix (or the opcode unit)
    std::uint32_t arg = 0;     // the full oparg, prefixes included
    std::uint8_t opcode = 0;
    std::uint8_t prefixes = 0;  // EXTENDED_ARG units present (CPython may emit a redundant one)
    std::uint8_t caches = 0;    // CACHE units after the opcode unit

    std::uint32_t size() const { return prefixes + 1u + caches; }  // units
    std::uint32_t opcode_offset() const { return offset + prefixes; }
    std::uint32_t end() const { return offset + size(); }
};

struct ExceptionTableEntry {
    std::uint32_t start = 0;   // code units, inclusive
    std::uint32_t end = 0;     // code units, exclusive
    std::uint32_t target = 0;  // code units
    std::uint32_t depth = 0;   // stack depth to unwind to before pushing (lasti and) the exception
    bool lasti = false;        // push the offset of the raising instruction first
    bool operator==(const ExceptionTableEntry&) const = default;
};

// One source position, -1 for "None" in every field (co_positions()).
struct Position {
    std::int32_t line = -1;
    std::int32_t end_line = -1;
    std::int32_t col = -1;
    std::int32_t end_col = -1;
    bool operator==(const Position&) const = default;
};

// _PyCodeLocationInfoKind, Include/cpython/code.h (3.11).
enum class LocationForm : std::uint8_t {
    short0 = 0,      // 0-9: same line, start column = form*8 + (b>>4 & 7), end = start + (b & 15)
    one_line0 = 10,  // 10-12: line delta 0-2, then start and end column bytes
    no_columns = 13,
    long_form = 14,
    none = 15,
};

struct LocationEntry {
    std::uint8_t form = 15;   // LocationForm value 0-15
    std::uint8_t length = 1;  // code units covered, 1-8
    Position position;        // absolute (line deltas resolved from co_firstlineno)
};

struct ConcreteCode {
    std::vector<ConcreteInstr> instrs;
    std::vector<ExceptionTableEntry> exceptions;
    std::vector<LocationEntry> locations;
    std::uint32_t code_units = 0;
};

// -- decoding (validating) ---------------------------------------------------------------------------
Result<std::vector<ConcreteInstr>> decode_code_units(const std::string& co_code);
Result<std::vector<ExceptionTableEntry>> decode_exception_table(const std::string& table, std::uint32_t code_units);
Result<std::vector<LocationEntry>> decode_location_table(const std::string& table, std::int32_t firstlineno);
// Gates on the magic number, then decodes and cross-checks all three (ranges and jump targets on
// instruction boundaries, location table covering exactly co_code).
Result<ConcreteCode> decode_concrete(const CodeObject& code);

// One position per code unit, as co_positions() yields them.
std::vector<Position> positions_per_unit(const std::vector<LocationEntry>& entries);

// -- encoding ----------------------------------------------------------------------------------------
// Each instruction's arg must fit its prefix count; cache units are written as zeros.
Result<std::string> encode_code_units(const std::vector<ConcreteInstr>& instrs);
std::string encode_exception_table(const std::vector<ExceptionTableEntry>& entries);
// Writes `entries` with the forms they carry.
Result<std::string> encode_location_table(const std::vector<LocationEntry>& entries, std::int32_t firstlineno);
// Chooses forms the way 3.11's assembler does (write_location_info_entry in Python/compile.c): one
// entry per instruction, split into chunks of at most 8 units.
Result<std::vector<LocationEntry>> plan_location_entries(const std::vector<std::uint32_t>& instr_sizes,
                                                         const std::vector<Position>& instr_positions,
                                                         std::int32_t firstlineno);

// Jump target of a concrete jump instruction, in code units (3.11: relative to the unit after the
// opcode unit, i.e. after the instruction since jumps have no caches; dis._get_instructions_bytes).
std::int64_t jump_target_units(const ConcreteInstr& instr);

}  // namespace shrinkpy::analyzer
