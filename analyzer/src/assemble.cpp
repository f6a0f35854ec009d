// ====================================================================================================
// assemble(): instructions -> co_code, co_exceptiontable, co_linetable.
//
// 1. Sizes: each instruction starts with max(min_prefixes, prefixes its oparg needs) EXTENDED_ARGs.
// 2. Jumps: compute offsets, then every jump's relative oparg; when an oparg outgrows its prefixes,
//    grow them and start again (assemble_jump_offsets in 3.11 Python/compile.c). Sizes only grow,
//    so the loop ends; starting from the decoded prefix counts it ends at once on unchanged code.
// 3. Exception table: walk the instructions in order and start an entry whenever the region
//    changes (assemble_exception_table); ranges include prefixes and caches.
// 4. Line table: one entry per instruction in CPython's choice of form (plan_location_entries).
// 5. Check: decode the result and compare it with the input.
// ====================================================================================================
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

std::uint8_t prefixes_needed(std::uint32_t arg) {
    return static_cast<std::uint8_t>((arg > 0xFFu) + (arg > 0xFFFFu) + (arg > 0xFFFFFFu));
}

Status check_round_trip(const InstrList& list, const Assembled& out, const std::vector<LocationEntry>& planned,
                        const std::vector<std::uint32_t>& sizes) {
    CodeObject code;
    code.magic = list.magic;
    code.firstlineno = list.firstlineno;
    code.code = out.code;
    code.exceptiontable = out.exceptiontable;
    code.linetable = out.linetable;
    auto decoded = decode_instructions(code);
    if (!decoded) {
        Error e = decoded.error();
        e.reason = "assembled code does not decode: " + e.reason;
        return e;
    }
    const InstrList& back = *decoded;
    if (back.instrs.size() != list.instrs.size()) {
        return make_error(Section::code, -1, -1, "assembled code decodes to a different number of instructions");
    }
    const std::vector<std::uint32_t> want_at = list.label_positions();
    const std::vector<std::uint32_t> got_at = back.label_positions();
    std::size_t entry = 0;
    for (std::size_t i = 0; i < list.instrs.size(); ++i) {
        const Instr& a = list.instrs[i];
        const Instr& b = back.instrs[i];
        const auto fail = [&](const char* what) {
            return make_error(Section::code, -1, a.opcode,
                              "assembled instruction " + std::to_string(i) + " decodes with another " + what);
        };
        if (a.opcode != b.opcode) return fail("opcode");
        if (a.target == kNoLabel && a.arg != b.arg) return fail("oparg");
        if (a.target != kNoLabel && want_at[a.target] != got_at[b.target]) return fail("jump target");
        if ((a.region == kNoRegion) != (b.region == kNoRegion)) return fail("try region");
        if (a.region != kNoRegion) {
            const TryRegion& ra = list.regions[static_cast<std::size_t>(a.region)];
            const TryRegion& rb = back.regions[static_cast<std::size_t>(b.region)];
            if (want_at[ra.handler] != got_at[rb.handler] || ra.depth != rb.depth || ra.lasti != rb.lasti)
                return fail("handler");
        }
        if (!(planned[entry].position == b.position)) return fail("position");
        for (std::uint32_t units = 0; units < sizes[i]; units += planned[entry++].length) {
        }
    }
    return Ok{};
}

}  // namespace

Result<Assembled> assemble(const InstrList& list, AssembleOptions options) {
    if (Status ok = list.verify(); !ok) return ok.error();
    const std::size_t n = list.instrs.size();
    const std::vector<std::uint32_t> label_at = list.label_positions();

    std::vector<std::uint8_t> prefixes(n);
    std::vector<std::uint32_t> args(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Instr& in = list.instrs[i];
        args[i] = in.target == kNoLabel ? in.arg : 0;
        prefixes[i] = std::max(in.min_prefixes, prefixes_needed(args[i]));
    }
    std::vector<std::uint32_t> offsets(n + 1);
    for (bool grew = true; grew;) {
        grew = false;
        std::uint64_t offset = 0;
        for (std::size_t i = 0; i < n; ++i) {
            offsets[i] = static_cast<std::uint32_t>(offset);
            offset += prefixes[i] + 1u + cache_count(list.instrs[i].opcode);
        }
        if (offset >= (1u << 30)) return make_error(Section::code, -1, -1, "assembled code is too long");
        offsets[n] = static_cast<std::uint32_t>(offset);
        for (std::size_t i = 0; i < n; ++i) {
            const Instr& in = list.instrs[i];
            if (in.target == kNoLabel) continue;
            const std::uint32_t after = offsets[i] + prefixes[i] + 1u;  // 3.11 jumps have no caches
            const std::uint32_t target = offsets[label_at[in.target]];
            const bool backward = jump_kind(in.opcode) == JumpKind::backward;
            if (backward ? target > after : target < after) {
                // Direction is part of the opcode (normalize_jumps() picks it in CPython); a pass that
                // moves blocks must choose the opcode again.
                return make_error(Section::code, static_cast<std::int64_t>(offsets[i]) * 2 + prefixes[i] * 2, in.opcode,
                                  std::string("a ") + (backward ? "backward" : "forward") +
                                      " jump cannot reach its target at " + std::to_string(target * 2));
            }
            args[i] = backward ? after - target : target - after;
            const std::uint8_t need = prefixes_needed(args[i]);
            if (need > prefixes[i]) {
                prefixes[i] = need;
                grew = true;
            }
        }
    }

    std::vector<ConcreteInstr> concrete(n);
    std::vector<std::uint32_t> sizes(n);
    std::vector<Position> positions(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Instr& in = list.instrs[i];
        concrete[i] = ConcreteInstr{offsets[i], args[i], in.opcode, prefixes[i], cache_count(in.opcode)};
        sizes[i] = concrete[i].size();
        positions[i] = in.position;
    }
    Assembled out;
    auto code = encode_code_units(concrete);
    if (!code) return code.error();
    out.code = std::move(code).value();

    std::vector<ExceptionTableEntry> entries;
    std::int32_t current = kNoRegion;
    for (std::size_t i = 0; i <= n; ++i) {
        const std::int32_t region = i < n ? list.instrs[i].region : kNoRegion;
        if (region == current) continue;
        if (current != kNoRegion) entries.back().end = offsets[i];
        if (region != kNoRegion) {
            const TryRegion& r = list.regions[static_cast<std::size_t>(region)];
            entries.push_back(
                ExceptionTableEntry{offsets[i], offsets[i], offsets[label_at[r.handler]], r.depth, r.lasti});
        }
        current = region;
    }
    out.exceptiontable = encode_exception_table(entries);

    auto planned = plan_location_entries(sizes, positions, list.firstlineno);
    if (!planned) return planned.error();
    auto lines = encode_location_table(*planned, list.firstlineno);
    if (!lines) return lines.error();
    out.linetable = std::move(lines).value();

    if (options.check) {
        if (Status ok = check_round_trip(list, out, *planned, sizes); !ok) return ok.error();
    }
    return out;
}

}  // namespace shrinkpy::analyzer
