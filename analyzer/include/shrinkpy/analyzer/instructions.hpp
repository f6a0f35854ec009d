// ====================================================================================================
// The instruction layer: one Instr per CPython instruction (no EXTENDED_ARG, no CACHE units), jump
// targets and exception handlers as symbolic labels, try regions instead of table ranges. A pass
// inserts, deletes and moves Instr values freely; assemble() is the only place where offsets,
// EXTENDED_ARG prefixes (to a fixed point), caches, the exception table and the line table are
// computed, and it re-decodes its own output to check it.
//
// Invariants (InstrList::verify):
//   - a label is carried by at most one instruction; every jump's target and every region's
//     handler is a label some instruction carries;
//   - jumps (jump_kind != none) have a target, other instructions have none;
//   - region is -1 or an index into `regions`.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/concrete.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

inline constexpr std::uint32_t kNoLabel = 0xFFFFFFFFu;
inline constexpr std::int32_t kNoRegion = -1;
inline constexpr std::uint32_t kInserted = 0xFFFFFFFFu;  // Instr::origin of an inserted instruction

struct Instr {
    std::uint8_t opcode = 0;
    std::uint8_t min_prefixes = 0;     // EXTENDED_ARGs to keep at least (the decoded count: CPython's
                                       // redundant EXTENDED_ARG 0 must survive for identity)
    std::uint32_t arg = 0;             // for jumps, recomputed by assemble()
    std::uint32_t label = kNoLabel;    // jumps and handlers naming this label land here
    std::uint32_t target = kNoLabel;   // jumps: the label they go to
    std::int32_t region = kNoRegion;   // the try region protecting this instruction
    Position position;                 // source location of every unit of the instruction
    std::uint32_t origin = kInserted;  // code-unit offset in the decoded code object

    std::uint32_t origin_bytes() const { return origin == kInserted ? kInserted : origin * 2; }
};

// A try region = one exception-table handler: where to go and how to unwind
// (depth = handler stack depth without the exception and lasti; assemble_emit_exception_table_entry).
struct TryRegion {
    std::uint32_t handler = kNoLabel;
    std::uint32_t depth = 0;
    bool lasti = false;
};

struct InstrList {
    std::vector<Instr> instrs;
    std::vector<TryRegion> regions;
    std::uint32_t label_count = 0;
    std::int32_t firstlineno = 0;
    std::uint16_t magic = 3495;

    std::uint32_t new_label() { return label_count++; }
    // Index of the instruction carrying each label (kNoLabel where none does).
    std::vector<std::uint32_t> label_positions() const;
    Status verify() const;
};

// Concrete -> instructions. Fails when a location entry splits an instruction (CPython never does).
Result<InstrList> to_instructions(const ConcreteCode& concrete, std::int32_t firstlineno, std::uint16_t magic = 3495);
// Whole pipeline from a code object.
Result<InstrList> decode_instructions(const CodeObject& code);

struct Assembled {
    std::string code;            // co_code
    std::string exceptiontable;  // co_exceptiontable
    std::string linetable;       // co_linetable
};

struct AssembleOptions {
    bool check = true;  // re-decode the output and compare it with the input list
};

Result<Assembled> assemble(const InstrList& list, AssembleOptions options = {});

// Readable dump, one instruction a line, for debugging and test failure messages.
std::string dump(const InstrList& list);

}  // namespace shrinkpy::analyzer
