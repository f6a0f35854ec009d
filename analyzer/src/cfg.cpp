// ====================================================================================================
// CFG construction, stack depths, the structural validator and the conversion back to
// instructions. Design notes are in cfg.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/cfg.hpp"

#include <algorithm>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/debug.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

bool ends_block(std::uint8_t opcode) { return jump_kind(opcode) != JumpKind::none || is_scope_exit(opcode); }
bool falls_through(std::uint8_t opcode) { return !is_unconditional_jump(opcode) && !is_scope_exit(opcode); }

Error cfg_error(const InstrList& code, std::uint32_t index, std::string reason) {
    const Instr& in = code.instrs[index];
    return make_error(Section::code, in.origin == kInserted ? -1 : static_cast<std::int64_t>(in.origin_bytes()),
                      in.opcode, std::move(reason));
}

// Effect of one instruction on the depth, as the simulation uses it (see RETURN_GENERATOR in
// cfg.hpp); nullopt for an undefined opcode.
std::optional<int> effect_of(const Instr& in, bool jump) {
    if (in.opcode == op::RETURN_GENERATOR) return 1;
    return stack_effect(in.opcode, in.arg, jump);
}

Status compute_depths(Cfg& cfg) {
    const InstrList& code = *cfg.code;
    cfg.depth_before.assign(code.instrs.size(), -1);
    std::vector<std::uint32_t> work;
    const auto reach = [&](std::uint32_t block, std::int32_t depth, std::uint32_t from) -> Status {
        BasicBlock& b = cfg.blocks[block];
        if (b.entry_depth < 0) {
            b.entry_depth = depth;
            cfg.max_depth = std::max(cfg.max_depth, depth);
            work.push_back(block);
        } else if (b.entry_depth != depth) {
            return cfg_error(code, b.begin,
                             "reached with stack depth " + std::to_string(depth) + " from instruction " +
                                 std::to_string(from) + " but " + std::to_string(b.entry_depth) + " elsewhere");
        }
        return Ok{};
    };
    if (cfg.blocks.empty()) return Ok{};
    if (Status s = reach(0, 0, 0); !s) return s;
    while (!work.empty()) {
        const std::uint32_t id = work.back();
        work.pop_back();
        const BasicBlock& b = cfg.blocks[id];
        std::int32_t depth = b.entry_depth;
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            const Instr& in = code.instrs[i];
            cfg.depth_before[i] = depth;
            if (b.region != kNoRegion) {
                const TryRegion& r = code.regions[static_cast<std::size_t>(b.region)];
                if (static_cast<std::int64_t>(r.depth) > depth) {
                    return cfg_error(code, i,
                                     "try region unwinds to depth " + std::to_string(r.depth) +
                                         " above the stack depth " + std::to_string(depth));
                }
            }
            const auto effect = effect_of(in, false);
            if (!effect) return cfg_error(code, i, "no stack effect");
            if (jump_kind(in.opcode) != JumpKind::none) {
                const auto jump_effect = effect_of(in, true);
                const std::int32_t target_depth = depth + *jump_effect;
                if (target_depth < 0) return cfg_error(code, i, "stack underflow on the jump");
                cfg.max_depth = std::max(cfg.max_depth, target_depth);
                if (Status s = reach(b.jump, target_depth, i); !s) return s;
            }
            depth += *effect;
            if (depth < 0) return cfg_error(code, i, "stack underflow");
            cfg.max_depth = std::max(cfg.max_depth, depth);
        }
        if (b.fallthrough != kNoBlock) {
            if (Status s = reach(b.fallthrough, depth, b.end - 1); !s) return s;
        }
        if (b.handler != kNoBlock) {
            const TryRegion& r = code.regions[static_cast<std::size_t>(b.region)];
            if (Status s = reach(b.handler, static_cast<std::int32_t>(r.depth) + (r.lasti ? 1 : 0) + 1, b.begin); !s)
                return s;
        }
    }
    return Ok{};
}

}  // namespace

Result<Cfg> build_cfg(const InstrList& code) {
    Cfg cfg;
    cfg.code = &code;
    const std::size_t n = code.instrs.size();
    if (Status ok = code.verify(); !ok) return ok.error();
    if (n > 0 && falls_through(code.instrs[n - 1].opcode)) {
        return cfg_error(code, static_cast<std::uint32_t>(n - 1), "control falls off the end of the code");
    }
    // Leaders.
    std::vector<std::uint8_t> leader(n + 1, 0);
    if (n > 0) leader[0] = 1;
    for (std::size_t i = 0; i < n; ++i) {
        const Instr& in = code.instrs[i];
        if (in.label != kNoLabel) leader[i] = 1;
        if (ends_block(in.opcode)) leader[i + 1] = 1;
        if (i > 0 && code.instrs[i - 1].region != in.region) leader[i] = 1;
    }
    cfg.block_of.assign(n, kNoBlock);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (leader[i]) {
            BasicBlock b;
            b.begin = i;
            b.region = code.instrs[i].region;
            cfg.blocks.push_back(b);
        }
        cfg.blocks.back().end = i + 1;
        cfg.block_of[i] = static_cast<std::uint32_t>(cfg.blocks.size() - 1);
    }
    // Edges.
    const std::vector<std::uint32_t> label_at = code.label_positions();
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        BasicBlock& b = cfg.blocks[id];
        const Instr& last = code.instrs[b.end - 1];
        if (last.target != kNoLabel) b.jump = cfg.block_of[label_at[last.target]];
        if (falls_through(last.opcode)) b.fallthrough = id + 1;  // exists: the code does not fall off the end
        if (b.region != kNoRegion) {
            b.handler = cfg.block_of[label_at[code.regions[static_cast<std::size_t>(b.region)].handler]];
        }
    }
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        const BasicBlock& b = cfg.blocks[id];
        if (b.fallthrough != kNoBlock) cfg.blocks[b.fallthrough].preds.push_back(id);
        if (b.jump != kNoBlock) cfg.blocks[b.jump].preds.push_back(id);
        if (b.handler != kNoBlock) {
            cfg.blocks[b.handler].raisers.push_back(id);
            cfg.blocks[b.handler].is_handler = true;
        }
    }
    if (Status s = compute_depths(cfg); !s) return s.error();
    if constexpr (kRunValidators) {
        if (Status s = cfg.verify(); !s) return s.error();
    }
    return cfg;
}

Status Cfg::verify() const {
    const auto fail = [](const std::string& reason) {
        return make_error(Section::code, -1, -1, "internal: CFG validator: " + reason);
    };
    std::uint32_t next = 0;
    for (std::uint32_t id = 0; id < blocks.size(); ++id) {
        const BasicBlock& b = blocks[id];
        if (b.begin != next || b.end <= b.begin)
            return fail("blocks do not tile the code (block " + std::to_string(id) + ")");
        next = b.end;
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            if (block_of[i] != id) return fail("block_of disagrees at instruction " + std::to_string(i));
            if (code->instrs[i].region != b.region) return fail("a block spans two try regions");
            if (i > b.begin && code->instrs[i].label != kNoLabel) return fail("a labelled instruction inside a block");
            if (i + 1 < b.end && ends_block(code->instrs[i].opcode)) return fail("a jump inside a block");
        }
        const Instr& last = code->instrs[b.end - 1];
        if ((b.fallthrough != kNoBlock) != falls_through(last.opcode)) return fail("fall-through edge disagrees");
        if (b.fallthrough != kNoBlock && b.fallthrough != id + 1) return fail("fall-through to a non-adjacent block");
        if ((b.jump != kNoBlock) != (last.target != kNoLabel)) return fail("jump edge disagrees");
        const auto count = [](const std::vector<std::uint32_t>& v, std::uint32_t x) {
            return std::count(v.begin(), v.end(), x);
        };
        long expected_preds = 0;
        for (std::uint32_t p = 0; p < blocks.size(); ++p) {
            expected_preds += (blocks[p].fallthrough == id) + (blocks[p].jump == id);
            if (blocks[p].handler == id && count(b.raisers, p) != 1) return fail("raisers miss an exception edge");
        }
        if (static_cast<long>(b.preds.size()) != expected_preds) return fail("preds do not mirror the edges");
        for (std::uint32_t p : b.preds) {
            if (blocks[p].fallthrough != id && blocks[p].jump != id) return fail("a pred without an edge");
        }
        if (reachable(id)) {
            std::int32_t depth = b.entry_depth;
            for (std::uint32_t i = b.begin; i < b.end; ++i) {
                if (depth_before[i] != depth) return fail("depth_before inconsistent at " + std::to_string(i));
                depth += *effect_of(code->instrs[i], false);
            }
            if (b.fallthrough != kNoBlock && blocks[b.fallthrough].entry_depth != depth)
                return fail("depth changes on fall-through");
        }
    }
    if (next != code->instrs.size()) return fail("blocks do not cover the code");
    return Ok{};
}

Result<InstrList> Cfg::to_instructions() const {
    InstrList out;
    out.firstlineno = code->firstlineno;
    out.magic = code->magic;
    // One label per block that something enters other than by falling through.
    std::vector<std::uint32_t> block_label(blocks.size(), kNoLabel);
    const auto label_of = [&](std::uint32_t block) {
        if (block_label[block] == kNoLabel) block_label[block] = out.new_label();
        return block_label[block];
    };
    for (const BasicBlock& b : blocks) {
        if (b.jump != kNoBlock) label_of(b.jump);
        if (b.handler != kNoBlock) label_of(b.handler);
    }
    // Regions: one per original region, handler re-expressed through the handler block's label.
    std::vector<std::int32_t> region_map(code->regions.size(), kNoRegion);
    for (const BasicBlock& b : blocks) {
        if (b.region == kNoRegion || region_map[static_cast<std::size_t>(b.region)] != kNoRegion) continue;
        const TryRegion& r = code->regions[static_cast<std::size_t>(b.region)];
        region_map[static_cast<std::size_t>(b.region)] = static_cast<std::int32_t>(out.regions.size());
        out.regions.push_back(TryRegion{block_label[b.handler], r.depth, r.lasti});
    }
    for (std::uint32_t id = 0; id < blocks.size(); ++id) {
        const BasicBlock& b = blocks[id];
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            Instr in = code->instrs[i];
            in.label = i == b.begin ? block_label[id] : kNoLabel;
            in.target = i + 1 == b.end && b.jump != kNoBlock ? block_label[b.jump] : kNoLabel;
            in.region = b.region == kNoRegion ? kNoRegion : region_map[static_cast<std::size_t>(b.region)];
            out.instrs.push_back(in);
        }
    }
    if (Status ok = out.verify(); !ok) return ok.error();
    return out;
}

std::string dump(const Cfg& cfg) {
    std::string out;
    const auto name = [](std::uint32_t b) { return b == kNoBlock ? std::string("-") : "B" + std::to_string(b); };
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        const BasicBlock& b = cfg.blocks[id];
        out += "B" + std::to_string(id) + " [" + std::to_string(b.begin) + "," + std::to_string(b.end) + ") depth " +
               std::to_string(b.entry_depth) + (b.is_handler ? " handler" : "") + " jump " + name(b.jump) + " next " +
               name(b.fallthrough) + " except " + name(b.handler) + "\n";
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            const Instr& in = cfg.code->instrs[i];
            out += "    " + std::to_string(i) + " " + opcode_name(in.opcode) +
                   (has_argument(in.opcode) && in.target == kNoLabel ? " " + std::to_string(in.arg) : "") + "\n";
        }
    }
    return out;
}

}  // namespace shrinkpy::analyzer
