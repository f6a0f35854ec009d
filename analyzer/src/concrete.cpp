// ====================================================================================================
// Concrete layer, code units: decode and encode co_code with EXTENDED_ARG prefixes and CACHE units,
// and the cross-checks that tie co_code, co_exceptiontable and co_linetable together.
// ====================================================================================================
#include "shrinkpy/analyzer/concrete.hpp"

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "shrinkpy/analyzer/version_gate.hpp"

namespace shrinkpy::analyzer {
namespace {

// ceval.c shifts the oparg 8 bits per EXTENDED_ARG into an int; the 3.11 compiler never emits more
// than three (instr_size() in Python/compile.c: 1 + (oparg >= 1<<8) + (oparg >= 1<<16) + ...).
constexpr std::uint8_t kMaxPrefixes = 3;

Error code_error(std::uint32_t unit, int opcode, std::string reason) {
    return make_error(Section::code, static_cast<std::int64_t>(unit) * 2, opcode, std::move(reason));
}

}  // namespace

Result<std::vector<ConcreteInstr>> decode_code_units(const std::string& co_code) {
    if (co_code.size() % 2 != 0) {
        return code_error(static_cast<std::uint32_t>(co_code.size() / 2), -1,
                          "co_code has an odd number of bytes (" + std::to_string(co_code.size()) + ")");
    }
    if (co_code.size() / 2 >= (1u << 30)) return code_error(0, -1, "co_code is too long");
    const auto units = static_cast<std::uint32_t>(co_code.size() / 2);
    const auto opcode_at = [&](std::uint32_t u) { return static_cast<std::uint8_t>(co_code[2 * u]); };
    const auto oparg_at = [&](std::uint32_t u) { return static_cast<std::uint8_t>(co_code[2 * u + 1]); };

    std::vector<ConcreteInstr> instrs;
    instrs.reserve(units);
    std::uint32_t u = 0;
    while (u < units) {
        ConcreteInstr instr;
        instr.offset = u;
        std::uint32_t arg = 0;
        // Prefixes are counted as present, not derived from the oparg: CPython can leave a redundant
        // EXTENDED_ARG 0, even before a NOP (bytecode PR #28, issue #116 / cpython#89918).
        while (u < units && opcode_at(u) == op::EXTENDED_ARG) {
            if (instr.prefixes == kMaxPrefixes)
                return code_error(u, op::EXTENDED_ARG, "more than three EXTENDED_ARG prefixes");
            arg = (arg | oparg_at(u)) << 8;
            ++instr.prefixes;
            ++u;
        }
        if (u == units) return code_error(u - 1, op::EXTENDED_ARG, "EXTENDED_ARG at the end of co_code");
        instr.opcode = opcode_at(u);
        if (!opcode_defined(instr.opcode)) {
            return code_error(u, instr.opcode,
                              "byte " + std::to_string(instr.opcode) + " is not a CPython 3.11 opcode");
        }
        if (instr.opcode == op::CACHE)
            return code_error(u, instr.opcode, "CACHE unit where an instruction was expected");
        instr.arg = arg | oparg_at(u);
        ++u;
        instr.caches = cache_count(instr.opcode);
        if (units - u < instr.caches) {
            return code_error(instr.offset + instr.prefixes, instr.opcode,
                              "needs " + std::to_string(instr.caches) + " CACHE units but co_code ends after " +
                                  std::to_string(units - u));
        }
        for (std::uint32_t c = 0; c < instr.caches; ++c, ++u) {
            // code.co_code returns de-specialized code with zeroed caches, and _PyCode_Quicken asserts
            // the first cache word is zero (3.11 Python/specialize.c).
            if (opcode_at(u) != op::CACHE || oparg_at(u) != 0) {
                return code_error(u, opcode_at(u),
                                  std::string("expected a zero CACHE unit after ") + opcode_name(instr.opcode));
            }
        }
        instrs.push_back(instr);
    }
    return instrs;
}

Result<std::string> encode_code_units(const std::vector<ConcreteInstr>& instrs) {
    std::string out;
    std::uint32_t offset = 0;
    for (const ConcreteInstr& instr : instrs) {
        if (instr.prefixes > kMaxPrefixes || (instr.prefixes < 3 && (instr.arg >> (8 * (instr.prefixes + 1))) != 0)) {
            return code_error(offset, instr.opcode,
                              "oparg " + std::to_string(instr.arg) + " does not fit " + std::to_string(instr.prefixes) +
                                  " EXTENDED_ARG prefixes");
        }
        for (int k = instr.prefixes; k >= 1; --k) {
            out.push_back(static_cast<char>(op::EXTENDED_ARG));
            out.push_back(static_cast<char>((instr.arg >> (8 * k)) & 0xFF));
        }
        out.push_back(static_cast<char>(instr.opcode));
        out.push_back(static_cast<char>(instr.arg & 0xFF));
        out.append(2u * cache_count(instr.opcode), '\0');
        offset += instr.prefixes + 1u + cache_count(instr.opcode);
    }
    return out;
}

std::int64_t jump_target_units(const ConcreteInstr& instr) {
    const std::int64_t after = instr.opcode_offset() + 1;  // jumps have no caches in 3.11
    switch (jump_kind(instr.opcode)) {
        case JumpKind::forward: return after + instr.arg;
        case JumpKind::backward: return after - static_cast<std::int64_t>(instr.arg);
        case JumpKind::none: break;
    }
    return -1;
}

Result<ConcreteCode> decode_concrete(const CodeObject& code) {
    if (Status gate = check_magic(code.magic); !gate) return gate.error();
    ConcreteCode out;
    auto instrs = decode_code_units(code.code);
    if (!instrs) return instrs.error();
    out.instrs = std::move(instrs).value();
    out.code_units = static_cast<std::uint32_t>(code.code_units());

    // Instruction starts, to check that jumps and ranges land on them (jump targets and exception
    // ranges point at the first EXTENDED_ARG unit: bytecode issue #144).
    std::vector<std::uint8_t> is_start(out.code_units + 1, 0);
    for (const ConcreteInstr& instr : out.instrs) is_start[instr.offset] = 1;
    is_start[out.code_units] = 1;
    for (const ConcreteInstr& instr : out.instrs) {
        if (jump_kind(instr.opcode) == JumpKind::none) continue;
        const std::int64_t target = jump_target_units(instr);
        if (target < 0 || target >= out.code_units || !is_start[static_cast<std::size_t>(target)]) {
            return code_error(instr.opcode_offset(), instr.opcode,
                              "jump target " + std::to_string(target * 2) + " is not the start of an instruction");
        }
    }

    auto exceptions = decode_exception_table(code.exceptiontable, out.code_units);
    if (!exceptions) return exceptions.error();
    out.exceptions = std::move(exceptions).value();
    for (std::size_t i = 0; i < out.exceptions.size(); ++i) {
        const ExceptionTableEntry& e = out.exceptions[i];
        if (!is_start[e.start] || !is_start[e.end] || !is_start[e.target] || e.target >= out.code_units) {
            return make_error(Section::exceptiontable, -1, -1,
                              "entry " + std::to_string(i) + " (" + std::to_string(e.start * 2) + " to " +
                                  std::to_string(e.end * 2) + " -> " + std::to_string(e.target * 2) +
                                  ") does not start and end on instruction boundaries");
        }
    }

    auto locations = decode_location_table(code.linetable, code.firstlineno);
    if (!locations) return locations.error();
    out.locations = std::move(locations).value();
    std::uint64_t covered = 0;
    for (const LocationEntry& entry : out.locations) covered += entry.length;
    if (covered != out.code_units) {
        return make_error(
            Section::linetable, static_cast<std::int64_t>(code.linetable.size()), -1,
            "covers " + std::to_string(covered) + " code units, co_code has " + std::to_string(out.code_units));
    }
    return out;
}

}  // namespace shrinkpy::analyzer
