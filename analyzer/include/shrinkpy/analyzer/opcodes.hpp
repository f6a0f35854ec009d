// ====================================================================================================
// Opcode facts for CPython 3.11, from the table analyzer/tools/gen_opcodes.py generated out of
// /usr/bin/python3.11 itself (src/opcodes_311.hpp), plus the oparg-dependent stack effects.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <optional>

namespace shrinkpy::analyzer {

inline constexpr std::uint16_t kMagic311 = 3495;
inline constexpr std::uint8_t kOpCache = 0;
inline constexpr std::uint8_t kOpExtendedArg = 144;

enum class JumpKind : std::uint8_t { none = 0, forward = 1, backward = 2 };
enum class OperandKind : std::uint8_t { none = 0, local = 1, free = 2, name = 3, constant = 4 };

bool opcode_defined(std::uint8_t opcode);  // in opcode.opmap of 3.11
const char* opcode_name(int opcode);       // "<N>" style name for undefined bytes ("?")
std::optional<std::uint8_t> opcode_by_name(const char* name);
std::uint8_t cache_count(std::uint8_t opcode);
JumpKind jump_kind(std::uint8_t opcode);
OperandKind operand_kind(std::uint8_t opcode);
bool has_argument(std::uint8_t opcode);  // opcode >= HAVE_ARGUMENT

// Unconditional transfer: no fall-through successor (JUMP_FORWARD, JUMP_BACKWARD*).
bool is_unconditional_jump(std::uint8_t opcode);
// Ends the frame or unwinds: RETURN_VALUE, RAISE_VARARGS, RERAISE.
bool is_scope_exit(std::uint8_t opcode);

// Stack effect exactly as 3.11's compile.c stack_effect() / dis.stack_effect(op, arg, jump=...);
// nullopt when CPython has none (undefined opcode).
std::optional<int> stack_effect(std::uint8_t opcode, std::uint32_t oparg, bool jump);

// How many values an instruction takes off the top of the stack and how many it puts back, so
// that pushes - pops == stack_effect() (tested for every opcode). Values an instruction only reads
// in place (COPY's source, LIST_APPEND's list, SWAP) are not counted; PRECALL n takes its n
// arguments and CALL the callable pair, matching compile.c's split of the call's effect.
struct StackIO {
    int pops = 0;
    int pushes = 0;
};
std::optional<StackIO> stack_io(std::uint8_t opcode, std::uint32_t oparg, bool jump);

}  // namespace shrinkpy::analyzer
