// ====================================================================================================
// Instruction layer: concrete -> instructions, the structural verifier and the debug dump.
// ====================================================================================================
#include "shrinkpy/analyzer/instructions.hpp"

#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {

std::vector<std::uint32_t> InstrList::label_positions() const {
    std::vector<std::uint32_t> where(label_count, kNoLabel);
    for (std::uint32_t i = 0; i < instrs.size(); ++i) {
        if (instrs[i].label != kNoLabel && instrs[i].label < label_count) where[instrs[i].label] = i;
    }
    return where;
}

Status InstrList::verify() const {
    std::vector<std::uint8_t> carried(label_count, 0);
    for (std::uint32_t i = 0; i < instrs.size(); ++i) {
        const Instr& in = instrs[i];
        const auto fail = [&](const std::string& reason) {
            return make_error(Section::code, -1, in.opcode, "instruction " + std::to_string(i) + ": " + reason);
        };
        if (!opcode_defined(in.opcode) || in.opcode == kOpCache || in.opcode == kOpExtendedArg) {
            return fail("not an instruction opcode");
        }
        if (in.label != kNoLabel) {
            if (in.label >= label_count) return fail("label out of range");
            if (carried[in.label]++) return fail("label carried twice");
        }
        if (in.region != kNoRegion && (in.region < 0 || static_cast<std::size_t>(in.region) >= regions.size())) {
            return fail("region out of range");
        }
        const bool is_jump = jump_kind(in.opcode) != JumpKind::none;
        if (is_jump && in.target == kNoLabel) return fail("jump without a target");
        if (!is_jump && in.target != kNoLabel) return fail("target on a non-jump");
    }
    for (const Instr& in : instrs) {
        if (in.target != kNoLabel && (in.target >= label_count || !carried[in.target])) {
            return make_error(Section::code, -1, in.opcode, "jump to a label no instruction carries");
        }
    }
    for (std::size_t r = 0; r < regions.size(); ++r) {
        if (regions[r].handler >= label_count || !carried[regions[r].handler]) {
            return make_error(Section::exceptiontable, -1, -1,
                              "region " + std::to_string(r) + " has no handler instruction");
        }
    }
    return Ok{};
}

Result<InstrList> to_instructions(const ConcreteCode& concrete, std::int32_t firstlineno, std::uint16_t magic) {
    InstrList list;
    list.firstlineno = firstlineno;
    list.magic = magic;
    list.instrs.reserve(concrete.instrs.size());
    std::vector<std::int32_t> index_at(concrete.code_units + 1, -1);
    for (std::uint32_t i = 0; i < concrete.instrs.size(); ++i)
        index_at[concrete.instrs[i].offset] = static_cast<std::int32_t>(i);

    const std::vector<Position> positions = positions_per_unit(concrete.locations);
    if (positions.size() != concrete.code_units) {
        return make_error(Section::linetable, -1, -1, "does not cover co_code exactly");
    }
    const auto label_at = [&](std::uint32_t unit) -> std::uint32_t {
        Instr& target = list.instrs[static_cast<std::size_t>(index_at[unit])];
        if (target.label == kNoLabel) target.label = list.new_label();
        return target.label;
    };

    for (const ConcreteInstr& c : concrete.instrs) {
        Instr in;
        in.opcode = c.opcode;
        in.arg = c.arg;
        in.min_prefixes = c.prefixes;
        in.origin = c.offset;
        in.position = positions[c.offset];
        for (std::uint32_t u = c.offset + 1; u < c.end(); ++u) {
            if (!(positions[u] == in.position)) {
                return make_error(Section::linetable, -1, c.opcode,
                                  "the location table gives the instruction at offset " + std::to_string(c.offset * 2) +
                                      " more than one position");
            }
        }
        list.instrs.push_back(in);
    }
    // decode_concrete() checked that targets and ranges land on instruction starts; check again so
    // that a ConcreteCode built by hand cannot index out of bounds.
    for (std::uint32_t i = 0; i < concrete.instrs.size(); ++i) {
        const ConcreteInstr& c = concrete.instrs[i];
        if (jump_kind(c.opcode) == JumpKind::none) continue;
        const std::int64_t target = jump_target_units(c);
        if (target < 0 || target >= concrete.code_units || index_at[static_cast<std::size_t>(target)] < 0) {
            return make_error(Section::code, c.opcode_offset() * 2, c.opcode, "jump target is not an instruction");
        }
        list.instrs[i].target = label_at(static_cast<std::uint32_t>(target));
    }
    for (const ExceptionTableEntry& e : concrete.exceptions) {
        if (e.end > concrete.code_units || e.target >= concrete.code_units || index_at[e.start] < 0 ||
            (index_at[e.end] < 0 && e.end != concrete.code_units)) {
            return make_error(Section::exceptiontable, -1, -1, "range is not on instruction boundaries");
        }
        if (index_at[e.target] < 0) return make_error(Section::exceptiontable, -1, -1, "handler is not an instruction");
        const auto region = static_cast<std::int32_t>(list.regions.size());
        list.regions.push_back(TryRegion{label_at(e.target), e.depth, e.lasti});
        const std::size_t last =
            e.end == concrete.code_units ? list.instrs.size() : static_cast<std::size_t>(index_at[e.end]);
        for (std::size_t i = static_cast<std::size_t>(index_at[e.start]); i < last; ++i) list.instrs[i].region = region;
    }
    return list;
}

Result<InstrList> decode_instructions(const CodeObject& code) {
    auto concrete = decode_concrete(code);
    if (!concrete) return concrete.error();
    return to_instructions(*concrete, code.firstlineno, code.magic);
}

std::string dump(const InstrList& list) {
    std::string out;
    for (std::uint32_t i = 0; i < list.instrs.size(); ++i) {
        const Instr& in = list.instrs[i];
        std::string line = std::to_string(i);
        line.resize(6, ' ');
        line += in.label != kNoLabel ? "L" + std::to_string(in.label) + ":" : "";
        line.resize(14, ' ');
        line += opcode_name(in.opcode);
        if (in.target != kNoLabel) {
            line += " -> L" + std::to_string(in.target);
        } else if (has_argument(in.opcode)) {
            line += " " + std::to_string(in.arg);
        }
        line.resize(50, ' ');
        line += "line " + std::to_string(in.position.line);
        if (in.region != kNoRegion) {
            const TryRegion& r = list.regions[static_cast<std::size_t>(in.region)];
            line += "  try#" + std::to_string(in.region) + " -> L" + std::to_string(r.handler) + " depth " +
                    std::to_string(r.depth) + (r.lasti ? " lasti" : "");
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace shrinkpy::analyzer
