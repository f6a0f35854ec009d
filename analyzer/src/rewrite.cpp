// ====================================================================================================
// The rewriter: plans from release_plan.cpp into instructions, forms chosen on the rewritten code,
// checks, assembly; the module-wide driver. Design in rewrite.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/rewrite.hpp"

#include <algorithm>
#include <deque>
#include <unordered_set>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/dataflow.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer {
namespace {

struct Inserted {
    std::uint32_t plan = 0;   // index into CodePlan::releases
    std::uint32_t index = 0;  // position in the rewritten list
};

// Slots bound on at least one path before each instruction: a forward union over normal edges and
// exception edges (the dual of compute_boundness()).
SlotSets maybe_bound(const Cfg& cfg, const SlotUniverse& vars, bool loads_bind) {
    const InstrList& code = *cfg.code;
    const std::size_t nblocks = cfg.blocks.size();
    SlotSets before(code.instrs.size(), vars.size()), block_in(nblocks, vars.size());
    const std::size_t words = before.words();
    if (words == 0 || nblocks == 0) return before;
    const auto apply = [&](std::uint64_t* s, std::uint32_t i) {
        const SlotAccess a = vars.access(code.instrs[i]);
        if (a.kind == AccessKind::none || (a.kind == AccessKind::load && !loads_bind)) return;
        const std::uint64_t bit = 1ull << (static_cast<std::uint32_t>(a.slot) % 64);
        std::uint64_t& w = s[static_cast<std::uint32_t>(a.slot) / 64];
        w = a.kind == AccessKind::del ? (w & ~bit) : (w | bit);
    };
    for (std::uint32_t s : vars.entry_bound) block_in.set(0, s);
    std::deque<std::uint32_t> work;
    std::vector<std::uint8_t> queued(nblocks, 0), seen(nblocks, 0);
    const auto flow_into = [&](std::uint32_t target, const std::uint64_t* s) {
        if (target == kNoBlock) return;
        std::uint64_t* in = block_in.row(target);
        bool grew = !seen[target];
        for (std::size_t w = 0; w < words; ++w) {
            grew = grew || (s[w] & ~in[w]) != 0;
            in[w] |= s[w];
        }
        seen[target] = 1;
        if (grew && !queued[target]) {
            queued[target] = 1;
            work.push_back(target);
        }
    };
    seen[0] = queued[0] = 1;
    work.push_back(0);
    std::vector<std::uint64_t> state(words);
    while (!work.empty()) {
        const std::uint32_t id = work.front();
        work.pop_front();
        queued[id] = 0;
        const BasicBlock& b = cfg.blocks[id];
        std::copy(block_in.row(id), block_in.row(id) + words, state.begin());
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            std::copy(state.begin(), state.end(), before.row(i));
            if (b.handler != kNoBlock) flow_into(b.handler, state.data());
            apply(state.data(), i);
        }
        flow_into(b.jump, state.data());
        flow_into(b.fallthrough, state.data());
    }
    return before;
}

struct Forms {
    std::uint8_t del = 0, store = 0;
};

Forms forms_for(const SlotUniverse& vars) {
    if (vars.scope == SlotUniverse::Scope::names) return {op::DELETE_NAME, op::STORE_NAME};
    return {op::DELETE_FAST, op::STORE_FAST};
}

// The localsplus (or co_names) index of each slot.
std::vector<std::uint32_t> arg_of_slot(const SlotUniverse& vars) {
    std::vector<std::uint32_t> out(vars.size(), 0);
    for (std::size_t i = 0; i < vars.slot_of_arg.size(); ++i) {
        if (vars.slot_of_arg[i] >= 0)
            out[static_cast<std::size_t>(vars.slot_of_arg[i])] = static_cast<std::uint32_t>(i);
    }
    return out;
}

bool is_cell(const CodeObject& code, std::uint32_t localsplus) {
    return localsplus < code.localsplus_kinds.size() && (code.kind(localsplus) & kFastCell);
}

Instr release_instr(const Instr& neighbour, std::uint8_t opcode, std::uint32_t arg) {
    Instr in;
    in.opcode = opcode;
    in.arg = arg;
    in.position = neighbour.position;
    in.region = neighbour.region;
    return in;
}

struct Rewritten {
    RewrittenCode code;
    std::vector<Release> releases;
};

// The release counter's call (rewrite.hpp), after the release `release`.
void append_counter_call(std::vector<Instr>& out, const Instr& release, std::uint32_t counter_index) {
    const std::pair<std::uint8_t, std::uint32_t> call[] = {
        {op::PUSH_NULL, 0}, {op::LOAD_CONST, counter_index}, {op::PRECALL, 0}, {op::CALL, 0}, {op::POP_TOP, 0}};
    for (const auto& [opcode, arg] : call) out.push_back(release_instr(release, opcode, arg));
}

Result<Rewritten> materialize(const CodeAnalysis& a, const CodePlan& plan, bool count_releases) {
    const CodeObject& code = *a.code;
    const InstrList& original = *a.instrs;
    const SlotUniverse& vars = plan.universe;
    const bool names = vars.scope == SlotUniverse::Scope::names;
    const Forms forms = forms_for(vars);
    const std::vector<std::uint32_t> arg = arg_of_slot(vars);
    const auto opcode_for = [&](std::uint32_t slot, bool del) -> std::uint8_t {
        if (!names && is_cell(code, arg[slot])) return del ? op::DELETE_DEREF : op::STORE_DEREF;
        return del ? forms.del : forms.store;
    };
    const std::uint32_t counter_index = static_cast<std::uint32_t>(code.consts.size());
    std::uint32_t none_index = counter_index + (count_releases ? 1 : 0);
    for (std::uint32_t k = 0; k < code.consts.size(); ++k) {
        if (code.consts[k].kind == Constant::Kind::none) {
            none_index = k;
            break;
        }
    }

    // 1. Every release as a provisional delete, at its place.
    const Cfg& cfg = *a.cfg;
    std::vector<std::vector<std::uint32_t>> before(original.instrs.size()), after(original.instrs.size());
    for (std::uint32_t p = 0; p < plan.releases.size(); ++p) {
        const PlannedRelease& r = plan.releases[p];
        if (r.kind == ReleaseKind::on_entry) {
            before[cfg.blocks[r.at].begin].push_back(p);
        } else {
            after[r.at].push_back(p);
        }
    }
    InstrList first = original;
    first.instrs.clear();
    std::vector<Inserted> inserted;
    for (std::uint32_t i = 0; i < original.instrs.size(); ++i) {
        Instr orig = original.instrs[i];
        for (std::size_t k = 0; k < before[i].size(); ++k) {
            Instr in = release_instr(orig, opcode_for(plan.releases[before[i][k]].slot, true),
                                     arg[plan.releases[before[i][k]].slot]);
            if (k == 0) {
                in.label = orig.label;  // jumps into the block now land on the release
                orig.label = kNoLabel;
            }
            inserted.push_back(Inserted{before[i][k], static_cast<std::uint32_t>(first.instrs.size())});
            first.instrs.push_back(in);
        }
        first.instrs.push_back(orig);
        for (std::uint32_t p : after[i]) {
            inserted.push_back(Inserted{p, static_cast<std::uint32_t>(first.instrs.size())});
            first.instrs.push_back(
                release_instr(original.instrs[i], opcode_for(plan.releases[p].slot, true), arg[plan.releases[p].slot]));
        }
    }

    // 2. Forms, decided where every other release is already in place.
    auto first_cfg = build_cfg(first);
    if (!first_cfg) return first_cfg.error();
    const bool loads_bind = !names;
    const Boundness must = compute_boundness(*first_cfg, vars, {.loads_bind = loads_bind});
    const SlotSets may = maybe_bound(*first_cfg, vars, loads_bind);
    enum class Form : std::uint8_t { del, none_store, drop };
    std::vector<Form> form(first.instrs.size(), Form::drop);
    std::vector<std::int32_t> plan_at(first.instrs.size(), -1);
    for (const Inserted& ins : inserted) {
        const std::uint32_t s = plan.releases[ins.plan].slot;
        plan_at[ins.index] = static_cast<std::int32_t>(ins.plan);
        form[ins.index] = must.bound_before.test(ins.index, s) ? Form::del
                          : may.test(ins.index, s)             ? Form::none_store
                                                               : Form::drop;
    }
    InstrList final_list = first;
    final_list.instrs.clear();
    std::vector<std::pair<std::uint32_t, std::uint32_t>> checks;  // (index of the release's last instruction, slot)
    Rewritten out;
    bool append_none = false;
    std::uint32_t pending_label = kNoLabel;  // of a dropped release that started a block
    for (std::uint32_t j = 0; j < first.instrs.size(); ++j) {
        Instr in = first.instrs[j];
        if (pending_label != kNoLabel && (plan_at[j] < 0 || form[j] != Form::drop)) {
            in.label = pending_label;  // the next instruction after the dropped ones had its label taken
            pending_label = kNoLabel;
        }
        if (plan_at[j] < 0) {
            final_list.instrs.push_back(in);
            continue;
        }
        const PlannedRelease& r = plan.releases[static_cast<std::size_t>(plan_at[j])];
        if (form[j] == Form::drop) {
            if (in.label != kNoLabel) pending_label = in.label;
            continue;
        }
        if (form[j] == Form::none_store) {
            Instr load = in;
            load.opcode = op::LOAD_CONST;
            load.arg = none_index;
            append_none = append_none || none_index >= code.consts.size();
            Instr store = release_instr(in, opcode_for(r.slot, false), in.arg);
            final_list.instrs.push_back(load);
            final_list.instrs.push_back(store);
        } else {
            final_list.instrs.push_back(in);
        }
        checks.emplace_back(static_cast<std::uint32_t>(final_list.instrs.size() - 1), r.slot);
        if (count_releases) append_counter_call(final_list.instrs, in, counter_index);
        Release rel;
        rel.qualname = code.qualname;
        rel.line = in.position.line;
        rel.name = vars.names[r.slot];
        rel.kind = r.kind;
        rel.maybe_unbound = form[j] == Form::none_store;
        out.releases.push_back(std::move(rel));
    }
    if (checks.empty()) return out;  // every release dropped: unchanged

    // 3. Checks on the final code.
    auto final_cfg = build_cfg(final_list);
    if (!final_cfg) return final_cfg.error();
    const Liveness live = compute_liveness(*final_cfg, vars);
    const Boundness bound = compute_boundness(*final_cfg, vars, {.loads_bind = loads_bind});
    for (const auto& [j, s] : checks) {
        const Instr& in = final_list.instrs[j];
        const bool is_delete =
            in.opcode == op::DELETE_FAST || in.opcode == op::DELETE_NAME || in.opcode == op::DELETE_DEREF;
        if ((is_delete && !bound.bound_before.test(j, s)) || live.live_after.test(j, s)) {
            return make_error(Section::code, -1, in.opcode,
                              "internal: the release of " + vars.names[s] + " at instruction " + std::to_string(j) +
                                  (live.live_after.test(j, s) ? " is followed by a read" : " may find it unbound"));
        }
    }
    auto assembled = assemble(final_list);
    if (!assembled) return assembled.error();
    out.code.changed = true;
    out.code.code = std::move(assembled->code);
    out.code.exceptiontable = std::move(assembled->exceptiontable);
    out.code.linetable = std::move(assembled->linetable);
    out.code.stacksize = std::max(code.stacksize, final_cfg->max_depth);
    out.code.append_none = append_none;
    out.code.append_counter = count_releases;
    return out;
}

class ModuleRewriter {
public:
    ModuleRewriter(const ReleasePolicy& policy, const ModuleProvenance& provenance)
        : policy_(policy),
          provenance_(provenance),
          decorated_(provenance.no_early_free.begin(), provenance.no_early_free.end()) {}

    RewrittenCode visit(const CodeAnalysis& a, bool is_module, RewriteResult& result) {
        RewrittenCode node;
        for (const CodeAnalysis& child : a.children) node.children.push_back(visit(child, false, result));
        const auto found = provenance_.codes.find(a.code);
        const CodeProvenance* p = found == provenance_.codes.end() ? nullptr : &found->second;
        const CodePlan plan = plan_releases(a, is_module, p, decorated_.count(a.code) != 0, policy_);
        if (!plan.considered) return node;
        ++result.code_objects;
        const auto skip = [&](const std::string& rule, const std::string& reason) {
            result.skips.push_back(Skip{a.code->qualname, a.code->firstlineno, rule, reason});
        };
        if (!plan.skip_rule.empty()) {
            skip(plan.skip_rule, plan.skip_reason);
            return node;
        }
        if (plan.releases.empty()) return node;
        auto done = materialize(a, plan, policy_.count_releases);
        if (!done) {
            skip("error", "could not be rewritten: " + done.error().describe());
            return node;
        }
        if (done->code.changed) {
            ++result.rewritten;
            std::vector<RewrittenCode> children = std::move(node.children);
            node = std::move(done->code);
            node.children = std::move(children);
            result.releases.insert(result.releases.end(), done->releases.begin(), done->releases.end());
        }
        return node;
    }

private:
    const ReleasePolicy& policy_;
    const ModuleProvenance& provenance_;
    std::unordered_set<const CodeObject*> decorated_;
};

}  // namespace

bool RewrittenCode::any_changed() const {
    return changed ||
           std::any_of(children.begin(), children.end(), [](const RewrittenCode& c) { return c.any_changed(); });
}

Result<RewriteResult> rewrite_module(const CodeObject& module, const ReleasePolicy& policy) {
    if ((module.flags & 0x0002) != 0)
        return make_error(Section::metadata, -1, -1, "rewrite_module needs a module's code object, not a function's");
    const CodeAnalysis analysis = analyze_code(module);
    ProvenanceOptions options;
    options.module_is_main = policy.module_is_main;
    options.handle_rule = policy.applies("handles");
    options.taint_rule = policy.applies("container-taint");
    const ModuleProvenance provenance = analyze_provenance(analysis, options);
    RewriteResult result;
    ModuleRewriter rewriter(policy, provenance);
    result.root = rewriter.visit(analysis, true, result);
    return result;
}

}  // namespace shrinkpy::analyzer
