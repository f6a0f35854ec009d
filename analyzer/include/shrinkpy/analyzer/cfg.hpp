// ====================================================================================================
// The control-flow graph over an InstrList.
//
// A block is a run [begin, end) of instructions with one try region. Leaders: the first
// instruction, every labelled instruction (jump target, handler), the instruction after a jump or
// a scope exit (RETURN_VALUE, RAISE_VARARGS, RERAISE), and every change of try region, so a block
// has at most one handler.
//
// Edges
//   normal     fall-through (not after unconditional jumps or scope exits) and jump targets;
//              conditional jumps, FOR_ITER, SEND and JUMP_IF_*_OR_POP have both.
//   exception  from *before* every instruction of a block in a try region to the region's handler
//              (CPython's scan_block_for_locals does the same): any instruction may raise, the
//              eval breaker on RESUME and JUMP_BACKWARD included, and YIELD_VALUE/SEND raise when
//              throw() or close() resumes a generator there.
//
// Stack depths follow 3.11's stackdepth(): normal edges use stack_effect(jump=false/true); a
// handler is entered with depth + lasti + 1 (the exception, and the raising offset when lasti is
// set; assemble_emit_exception_table_entry), after unwinding a depth that must not exceed the
// depth before any protected instruction. RETURN_GENERATOR counts +1: the first send() resumes
// the frame with a value on the stack, which the following POP_TOP discards.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <vector>

#include "shrinkpy/analyzer/error.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer {

inline constexpr std::uint32_t kNoBlock = 0xFFFFFFFFu;

struct BasicBlock {
    std::uint32_t begin = 0, end = 0;      // instruction indices into Cfg::code->instrs
    std::uint32_t jump = kNoBlock;         // block the last instruction jumps to
    std::uint32_t fallthrough = kNoBlock;  // next block in layout, when control can fall into it
    std::uint32_t handler = kNoBlock;      // handler block of this block's try region
    std::int32_t region = kNoRegion;
    std::vector<std::uint32_t> preds;    // normal predecessors (a block may appear twice)
    std::vector<std::uint32_t> raisers;  // blocks with an exception edge into this one
    std::int32_t entry_depth = -1;       // stack depth on entry, -1 when unreachable
    bool is_handler = false;

    std::uint32_t size() const { return end - begin; }
};

struct Cfg {
    const InstrList* code = nullptr;
    std::vector<BasicBlock> blocks;          // in layout order; block 0 is the entry
    std::vector<std::uint32_t> block_of;     // instruction index -> block
    std::vector<std::int32_t> depth_before;  // stack depth before each instruction, -1 unreachable
    std::int32_t max_depth = 0;              // what co_stacksize must be

    bool reachable(std::uint32_t block) const { return blocks[block].entry_depth >= 0; }
    // Structural validator: blocks tile the code, edges agree with the instructions, preds and
    // raisers mirror the edges, depths are consistent on every edge.
    Status verify() const;
    // Blocks back to an instruction list, labels re-derived from block edges (identity on an
    // unmodified CFG).
    Result<InstrList> to_instructions() const;
};

// Builds the graph and computes stack depths; fails on inconsistent depths or a jump/handler
// leaving the code. At SHRINKPY_DEBUG_LEVEL >= 3 runs verify() too.
Result<Cfg> build_cfg(const InstrList& code);

std::string dump(const Cfg& cfg);

}  // namespace shrinkpy::analyzer
