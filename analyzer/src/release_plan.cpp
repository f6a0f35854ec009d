// ====================================================================================================
// The early-freeing policy as code: skip rules and release placement (release_plan.hpp).
// ====================================================================================================
#include "shrinkpy/analyzer/release_plan.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/imports.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

inline constexpr std::uint32_t kCoNewlocals = 0x0002;

// Instructions that can take long or allocate: a release before one of them can lower the peak.
bool does_work(std::uint8_t opcode) {
    switch (opcode) {
        case op::CALL:
        case op::CALL_FUNCTION_EX:
        case op::YIELD_VALUE:
        case op::SEND:
        case op::GET_AWAITABLE:
        case op::FOR_ITER:
        case op::JUMP_BACKWARD:
        case op::JUMP_BACKWARD_NO_INTERRUPT:
        case op::POP_JUMP_BACKWARD_IF_FALSE:
        case op::POP_JUMP_BACKWARD_IF_TRUE:
        case op::POP_JUMP_BACKWARD_IF_NONE:
        case op::POP_JUMP_BACKWARD_IF_NOT_NONE:
        case op::IMPORT_NAME:
        case op::BINARY_OP: return true;
        default: return false;
    }
}

// work_after[i]: some instruction that does work can run after i on a normal path.
std::vector<std::uint8_t> work_after(const Cfg& cfg) {
    const InstrList& code = *cfg.code;
    const std::size_t nblocks = cfg.blocks.size();
    std::vector<std::uint8_t> block_in(nblocks, 0);
    for (bool changed = true; changed;) {
        changed = false;
        for (std::uint32_t b = static_cast<std::uint32_t>(nblocks); b-- > 0;) {
            const BasicBlock& bb = cfg.blocks[b];
            bool w =
                (bb.jump != kNoBlock && block_in[bb.jump]) || (bb.fallthrough != kNoBlock && block_in[bb.fallthrough]);
            for (std::uint32_t i = bb.begin; i < bb.end && !w; ++i) w = does_work(code.instrs[i].opcode);
            if (w && !block_in[b]) {
                block_in[b] = 1;
                changed = true;
            }
        }
    }
    std::vector<std::uint8_t> out(code.instrs.size(), 0);
    for (std::uint32_t b = 0; b < nblocks; ++b) {
        const BasicBlock& bb = cfg.blocks[b];
        bool w = (bb.jump != kNoBlock && block_in[bb.jump]) || (bb.fallthrough != kNoBlock && block_in[bb.fallthrough]);
        for (std::uint32_t i = bb.end; i-- > bb.begin;) {
            out[i] = w ? 1 : 0;
            w = w || does_work(code.instrs[i].opcode);
        }
    }
    return out;
}

// Blocks on a cycle of normal edges (Tarjan's strongly connected components, iteratively).
std::vector<std::uint8_t> blocks_in_loops(const Cfg& cfg) {
    const auto n = static_cast<std::uint32_t>(cfg.blocks.size());
    std::vector<std::int32_t> index(n, -1), low(n, 0);
    std::vector<std::uint8_t> on_stack(n, 0), in_loop(n, 0);
    std::vector<std::uint32_t> stack;
    std::int32_t counter = 0;
    const auto successors = [&](std::uint32_t b) {
        std::vector<std::uint32_t> s;
        if (cfg.blocks[b].jump != kNoBlock) s.push_back(cfg.blocks[b].jump);
        if (cfg.blocks[b].fallthrough != kNoBlock) s.push_back(cfg.blocks[b].fallthrough);
        return s;
    };
    struct Frame {
        std::uint32_t block;
        std::vector<std::uint32_t> succ;
        std::size_t next = 0;
    };
    for (std::uint32_t root = 0; root < n; ++root) {
        if (index[root] >= 0) continue;
        std::vector<Frame> frames{{root, successors(root)}};
        index[root] = low[root] = counter++;
        stack.push_back(root);
        on_stack[root] = 1;
        while (!frames.empty()) {
            Frame& f = frames.back();
            if (f.next < f.succ.size()) {
                const std::uint32_t s = f.succ[f.next++];
                if (s == f.block) in_loop[s] = 1;
                if (index[s] < 0) {
                    index[s] = low[s] = counter++;
                    stack.push_back(s);
                    on_stack[s] = 1;
                    frames.push_back(Frame{s, successors(s)});
                } else if (on_stack[s]) {
                    low[f.block] = std::min(low[f.block], index[s]);
                }
                continue;
            }
            const std::uint32_t b = f.block;
            if (low[b] == index[b]) {
                std::vector<std::uint32_t> component;
                std::uint32_t w = 0;
                do {
                    w = stack.back();
                    stack.pop_back();
                    on_stack[w] = 0;
                    component.push_back(w);
                } while (w != b);
                if (component.size() > 1)
                    for (std::uint32_t c : component) in_loop[c] = 1;
            }
            frames.pop_back();
            if (!frames.empty()) low[frames.back().block] = std::min(low[frames.back().block], low[b]);
        }
    }
    return in_loop;
}

// Pairs that must stay adjacent: 3.11's specialized PRECALLs run the call and skip the CALL after
// them (SKIP_CALL in Python/ceval.c), KW_NAMES is read by the next PRECALL, and COMPARE_OP /
// BINARY_OP specialize on the instruction that follows (Python/specialize.c).
bool keeps_next(const Instr& in, const Instr& next) {
    switch (in.opcode) {
        case op::PRECALL: return true;
        case op::KW_NAMES: return true;
        case op::COMPARE_OP: return jump_kind(next.opcode) != JumpKind::none;
        case op::BINARY_OP: return next.opcode == op::STORE_FAST;
        default: return false;
    }
}

// A release may follow `i` unless `i` ends the block with a jump or an exit, or must keep its
// successor adjacent.
bool can_follow(const InstrList& code, const BasicBlock& b, std::uint32_t i) {
    const Instr& in = code.instrs[i];
    if (jump_kind(in.opcode) != JumpKind::none || is_scope_exit(in.opcode)) return false;
    return i + 1 >= b.end || !keeps_next(in, code.instrs[i + 1]);
}

// The instruction by which what instruction `i` pushed has been used up: the one after which the
// stack is back at `base` (where `i` pushed it, or lower), moved on past adjacent pairs; kNoBlock
// when that is not in the same block.
std::uint32_t consumer_of(const Cfg& cfg, std::uint32_t i, std::int32_t base) {
    const InstrList& code = *cfg.code;
    const BasicBlock& b = cfg.blocks[cfg.block_of[i]];
    std::uint32_t consumer = kNoBlock;
    for (std::uint32_t j = i + 1; j < b.end; ++j) {
        if (cfg.depth_before[j] <= base) {
            consumer = j - 1;
            break;
        }
    }
    while (consumer != kNoBlock && consumer + 1 < b.end && !can_follow(code, b, consumer)) ++consumer;
    if (consumer != kNoBlock && !can_follow(code, b, consumer)) consumer = kNoBlock;
    return consumer;
}

// Cells of `a`'s code that only list, set and dict comprehensions read besides the code itself:
// CPython 3.11 calls a comprehension as soon as it makes it, so once that call returned the cell
// is the frame's alone, like a fast local. Localsplus indices.
std::vector<std::uint32_t> comprehension_cells(const CodeAnalysis& a) {
    const CodeObject& code = *a.code;
    const auto is_comprehension = [](const CodeObject& c) {
        return c.name == "<listcomp>" || c.name == "<setcomp>" || c.name == "<dictcomp>";
    };
    std::vector<std::uint32_t> out;
    for (std::uint32_t i = 0; i < code.localsplus_names.size() && i < code.localsplus_kinds.size(); ++i) {
        if (!(code.kind(i) & kFastCell)) continue;
        const std::string& name = code.localsplus_names[i];
        bool only_comprehensions = true;
        const std::function<void(const CodeAnalysis&)> visit = [&](const CodeAnalysis& child) {
            const CodeObject& c = *child.code;
            for (std::size_t k = 0; k < c.localsplus_names.size() && k < c.localsplus_kinds.size(); ++k) {
                if ((c.kind(k) & kFastFree) && c.localsplus_names[k] == name && !is_comprehension(c))
                    only_comprehensions = false;
            }
            for (const CodeAnalysis& grandchild : child.children) visit(grandchild);
        };
        for (const CodeAnalysis& child : a.children) visit(child);
        if (only_comprehensions) out.push_back(i);
    }
    return out;
}

// Per instruction, the slots it keeps alive beyond its own access: a handle (provenance.hpp) keeps
// its source alive until the handle's own last use, transitively. A load of a handle is consumed
// by what follows it in the same statement (string_at(addr, n)), so the use is charged to the
// instruction that consumes it: the one after which the stack is back below the load. Where that
// is not in the same block, the source is pinned instead.
std::vector<std::vector<std::uint32_t>> handle_uses(const Cfg& cfg, const SlotUniverse& vars, const CodeProvenance& p,
                                                    std::vector<std::uint8_t>& pinned, bool& any) {
    const InstrList& code = *cfg.code;
    std::vector<std::vector<std::uint32_t>> out(code.instrs.size());
    any = false;
    for (std::uint32_t i = 0; i < code.instrs.size(); ++i) {
        const SlotAccess a = vars.access(code.instrs[i]);
        if (a.kind != AccessKind::load || static_cast<std::size_t>(a.slot) >= p.handle_of.size()) continue;
        std::vector<std::uint32_t> sources;
        std::int32_t source = p.handle_of[static_cast<std::size_t>(a.slot)];
        for (std::size_t hops = 0; source >= 0 && hops < vars.size(); ++hops) {
            sources.push_back(static_cast<std::uint32_t>(source));
            source = p.handle_of[static_cast<std::size_t>(source)];
        }
        if (sources.empty()) continue;
        const std::uint32_t consumer = consumer_of(cfg, i, cfg.depth_before[i]);
        for (std::uint32_t s : sources) {
            if (consumer == kNoBlock) {
                pinned[s] = 1;
            } else {
                out[consumer].push_back(s);
                any = true;
            }
        }
    }
    return out;
}

// The provenance facts of `fast` (the analysis' fast-local universe) in the slots of `vars`, which
// has the code object's cells too (only when the "cells" rule is switched off).
CodeProvenance with_cells(const CodeProvenance& p, const CodeObject& code, const SlotUniverse& fast,
                          const SlotUniverse& vars) {
    CodeProvenance out;
    const std::size_t n = vars.size();
    out.plain.assign(n, 0);
    out.pinned.assign(n, 0);
    out.pointless.assign(n, 0);
    out.made.assign(n, 1);
    out.handle_of.assign(n, -1);
    out.why_not.assign(n, {});
    out.inplace_concat = p.inplace_concat;
    std::vector<std::int32_t> to_vars(fast.size(), -1);
    for (std::size_t i = 0; i < vars.slot_of_arg.size(); ++i) {
        if (vars.slot_of_arg[i] >= 0 && i < fast.slot_of_arg.size() && fast.slot_of_arg[i] >= 0)
            to_vars[static_cast<std::size_t>(fast.slot_of_arg[i])] = vars.slot_of_arg[i];
    }
    for (std::size_t i = 0; i < vars.slot_of_arg.size(); ++i) {
        const std::int32_t s = vars.slot_of_arg[i];
        if (s < 0) continue;
        const auto v = static_cast<std::size_t>(s);
        const std::int32_t f = i < fast.slot_of_arg.size() ? fast.slot_of_arg[i] : -1;
        if (f < 0) {  // a cell
            out.plain[v] = i < p.cell_plain.size() && i < code.localsplus_kinds.size() ? p.cell_plain[i] : 0;
            continue;
        }
        const auto k = static_cast<std::size_t>(f);
        out.plain[v] = k < p.plain.size() && p.plain[k];
        out.pinned[v] = k < p.pinned.size() && p.pinned[k];
        out.pointless[v] = k < p.pointless.size() && p.pointless[k];
        out.made[v] = k >= p.made.size() || p.made[k];
        if (k < p.handle_of.size() && p.handle_of[k] >= 0)
            out.handle_of[v] = to_vars[static_cast<std::size_t>(p.handle_of[k])];
    }
    return out;
}

}  // namespace

const std::vector<PolicyRule>& policy_rules() {
    static const std::vector<PolicyRule> rules = {
        {"locals", "a function calling locals() reads its own variables"},
        {"vars", "vars() without arguments reads the calling function's variables"},
        {"eval", "eval() with default namespaces reads the calling function's variables"},
        {"exec", "exec() with default namespaces reads the calling function's variables"},
        {"breakpoint", "breakpoint() starts a debugger that shows the function's variables"},
        {"dir", "dir() without arguments lists the calling function's variables"},
        {"getframe", "sys._getframe() reaches frames and their f_locals"},
        {"currentframe", "inspect.currentframe() and friends reach frames and their f_locals"},
        {"frames", "frame and traceback attributes (f_locals, f_back, tb_frame, __traceback__, exc_info)"},
        {"super", "zero-argument super() reads argument 0 from the frame"},
        {"cells", "cell and free variables are read by other frames: never released"},
        {"tracer", "nothing is rewritten while a tracer or profiler is set, and originals come back when one is"},
        {"plain-data", "safe: only values proven to be plain data are released early"},
        {"container-taint", "safe: a container that receives non-plain values is not plain data"},
        {"handles", "safe: a handle (address, descriptor) keeps its source alive until its own last use"},
        {"pragma", "a `# shrinkpy: keep` comment keeps what its line names (on a def line: the whole function)"},
        {"no_early_free", "functions decorated with @shrinkpy.no_early_free are not rewritten"},
        {"error", "code the analyzer could not analyse or rewrite runs unmodified"},
    };
    return rules;
}

bool is_policy_rule(std::string_view id) {
    const auto& rules = policy_rules();
    return std::any_of(rules.begin(), rules.end(), [&](const PolicyRule& r) { return r.id == id; });
}

bool ReleasePolicy::ignores(std::string_view rule) const {
    return std::find(ignored_rules.begin(), ignored_rules.end(), rule) != ignored_rules.end();
}

const char* release_kind_name(ReleaseKind kind) {
    switch (kind) {
        case ReleaseKind::after_last_use: return "after_last_use";
        case ReleaseKind::before_operation: return "before_operation";
        case ReleaseKind::on_entry: return "on_entry";
    }
    return "?";
}

const char* release_reason(ReleaseKind kind) {
    switch (kind) {
        case ReleaseKind::after_last_use: return "after its last use";
        case ReleaseKind::before_operation:
            return "before the operation that replaces it, so the callee or operator can reuse its memory";
        case ReleaseKind::on_entry: return "no longer read once this point is reached";
    }
    return "?";
}

CodePlan plan_releases(const CodeAnalysis& a, bool is_module, const CodeProvenance* provenance, bool decorated,
                       const ReleasePolicy& policy) {
    CodePlan plan;
    const CodeObject& code = *a.code;
    const bool function = (code.flags & kCoNewlocals) != 0;
    if (!function && !(is_module && policy.module_is_main)) {
        plan.considered = false;
        return plan;
    }
    const auto skip = [&](std::string rule, std::string reason) {
        plan.skip_rule = std::move(rule);
        plan.skip_reason = std::move(reason);
        return plan;
    };
    if (a.error || !a.cfg) return skip("error", a.error ? a.error->describe() : "not analysed");
    const auto keep = [&](std::int32_t line) {
        return std::find(policy.keep_lines.begin(), policy.keep_lines.end(), line) != policy.keep_lines.end();
    };
    std::int32_t def_line = code.firstlineno;
    for (const Instr& in : a.instrs->instrs) {
        if (in.opcode == op::RESUME) {
            def_line = in.position.line;
            break;
        }
    }
    if (function && !policy.ignores("pragma") && (keep(code.firstlineno) || keep(def_line)))
        return skip("pragma", "`# shrinkpy: keep` on its first line");
    if (decorated && !policy.ignores("no_early_free"))
        return skip("no_early_free", "decorated with @shrinkpy.no_early_free");
    for (const Observer& o : a.observers) {
        if (!policy.ignores(o.rule)) return skip(o.rule, "its locals can be observed: " + o.reason);
    }

    // What may be released, and the dataflow facts over it.
    const Cfg& cfg = *a.cfg;
    const InstrList& instrs = *a.instrs;
    std::vector<std::uint8_t> allowed;
    if (function) {
        const std::vector<std::uint32_t> own_cells = comprehension_cells(a);
        const bool with_cells = policy.ignores("cells") || !own_cells.empty();
        plan.universe = with_cells ? fast_local_slots(code, true) : a.locals;
        allowed.assign(plan.universe.size(), 1);
        for (std::uint32_t i = 0; with_cells && !policy.ignores("cells") && i < code.localsplus_names.size(); ++i) {
            const std::int32_t s = plan.universe.slot_of_arg[i];
            const bool cell = code.kind(i) & kFastCell;
            if (s >= 0 && cell && std::find(own_cells.begin(), own_cells.end(), i) == own_cells.end())
                allowed[static_cast<std::size_t>(s)] = 0;
        }
    } else {
        plan.universe = name_slots(code);
        allowed.assign(plan.universe.size(), 0);
        auto names = analyze_module_names(code);
        if (!names) return skip("error", names.error().describe());
        for (const ModuleNameFact& f : names->names) {
            // Dunder names (__doc__, __all__, __annotations__, ...) belong to the module's protocol.
            const bool dunder =
                f.name.size() > 4 && f.name.rfind("__", 0) == 0 && f.name.substr(f.name.size() - 2) == "__";
            if (!f.module_only || dunder) continue;
            for (std::size_t s = 0; s < plan.universe.size(); ++s) {
                if (plan.universe.names[s] == f.name) allowed[s] = 1;
            }
        }
    }
    const SlotUniverse& vars = plan.universe;
    CodeProvenance translated;
    if (provenance != nullptr && vars.cells) {
        translated = with_cells(*provenance, code, a.locals, vars);
        provenance = &translated;
    }
    for (std::size_t s = 0; s < vars.size(); ++s) {
        if (!policy.applies("plain-data")) continue;
        const bool plain = provenance != nullptr && s < provenance->plain.size() && provenance->plain[s];
        if (!plain) allowed[s] = 0;
    }
    if (provenance != nullptr && policy.applies("handles")) {
        for (std::size_t s = 0; s < vars.size() && s < provenance->pinned.size(); ++s) {
            if (provenance->pinned[s]) allowed[s] = 0;
        }
    }
    for (std::size_t s = 0; provenance != nullptr && s < vars.size() && s < provenance->pointless.size(); ++s) {
        if (provenance->pointless[s]) allowed[s] = 0;
    }
    if (!policy.keep_lines.empty() && !policy.ignores("pragma")) {
        for (const Instr& in : instrs.instrs) {
            const SlotAccess acc = vars.access(in);
            if (acc.kind != AccessKind::none && keep(in.position.line)) allowed[static_cast<std::size_t>(acc.slot)] = 0;
        }
    }
    if (std::none_of(allowed.begin(), allowed.end(), [](std::uint8_t x) { return x != 0; })) return plan;

    bool handles = false;
    std::vector<std::vector<std::uint32_t>> extra;
    if (provenance != nullptr && policy.applies("handles")) {
        std::vector<std::uint8_t> pinned(vars.size(), 0);
        extra = handle_uses(cfg, vars, *provenance, pinned, handles);
        for (std::size_t s = 0; s < vars.size(); ++s) {
            if (pinned[s]) allowed[s] = 0;
        }
    }
    // A closure made for a comprehension reads its cells until the comprehension has run.
    if (vars.cells) {
        extra.resize(instrs.instrs.size());
        for (std::uint32_t i = 0; i < instrs.instrs.size(); ++i) {
            if (instrs.instrs[i].opcode != op::LOAD_CLOSURE || !cfg.reachable(cfg.block_of[i])) continue;
            const SlotAccess acc = vars.access(instrs.instrs[i]);
            if (acc.kind != AccessKind::load) continue;
            // The closure tuple sits where the first LOAD_CLOSURE of its BUILD_TUPLE put its cell.
            std::uint32_t first = i;
            while (first > cfg.blocks[cfg.block_of[i]].begin && instrs.instrs[first - 1].opcode == op::LOAD_CLOSURE)
                --first;
            const std::uint32_t consumer = consumer_of(cfg, i, cfg.depth_before[first]);
            if (consumer == kNoBlock) {
                allowed[static_cast<std::size_t>(acc.slot)] = 0;
            } else {
                extra[consumer].push_back(static_cast<std::uint32_t>(acc.slot));
                handles = true;
            }
        }
    }
    LivenessOptions live_options;
    if (handles) live_options.extra_uses = &extra;
    const bool own_liveness = handles || !function || vars.cells;
    Liveness computed;
    if (own_liveness) computed = compute_liveness(cfg, vars, live_options);
    const Liveness& live = own_liveness ? computed : a.live;
    const Boundness bound = function && !vars.cells ? a.bound : compute_boundness(cfg, vars, {.loads_bind = function});
    const std::vector<std::uint8_t> work = work_after(cfg);
    const std::vector<std::uint8_t> loops = blocks_in_loops(cfg);

    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;  // (instruction, slot)
    const auto add = [&](std::uint32_t slot, std::uint32_t at, ReleaseKind kind) {
        if (!can_follow(instrs, cfg.blocks[cfg.block_of[at]], at)) return;
        if (seen.insert({at, slot}).second) plan.releases.push_back(PlannedRelease{slot, at, kind});
    };
    for (std::uint32_t b = 0; b < cfg.blocks.size(); ++b) {
        if (!cfg.reachable(b)) continue;
        const BasicBlock& bb = cfg.blocks[b];
        for (std::uint32_t i = bb.begin; i < bb.end; ++i) {
            if (!work[i]) continue;
            const SlotAccess acc = vars.access(instrs.instrs[i]);
            std::vector<std::uint32_t> used;
            if (acc.kind == AccessKind::load) used.push_back(static_cast<std::uint32_t>(acc.slot));
            if (handles) used.insert(used.end(), extra[i].begin(), extra[i].end());
            for (std::uint32_t s : used) {
                if (!allowed[s] || live.live_after.test(i, s)) continue;
                const bool own = acc.kind == AccessKind::load && static_cast<std::uint32_t>(acc.slot) == s;
                if (own && instrs.instrs[i].opcode == op::LOAD_CLOSURE) continue;  // read later, by the closure
                if (own && loops[b] && provenance != nullptr && i < provenance->inplace_concat.size() &&
                    provenance->inplace_concat[i])
                    continue;
                // Inside a loop a release costs every iteration: only for what may be large (made
                // here by a call or a build; not numbers from arithmetic, not the loop's elements,
                // which what is iterated still holds), and never for module-level names (a dict
                // deletion each time).
                if (loops[b] &&
                    (!function || provenance == nullptr || (s < provenance->made.size() && !provenance->made[s])))
                    continue;
                ReleaseKind kind = ReleaseKind::after_last_use;
                for (std::uint32_t j = i + 1; own && j < bb.end; ++j) {
                    const SlotAccess next = vars.access(instrs.instrs[j]);
                    if (next.kind != AccessKind::store) continue;
                    if (static_cast<std::uint32_t>(next.slot) == s) kind = ReleaseKind::before_operation;
                    break;
                }
                add(s, i, kind);
            }
        }
    }
    // Deaths on block entry: not at the entry block, not on exception paths, not where nothing
    // runs afterwards.
    for (const EntryDeath& d : entry_deaths(cfg, live, bound)) {
        const BasicBlock& bb = cfg.blocks[d.block];
        if (d.block == 0 || bb.is_handler || !allowed[d.slot] || bb.size() == 0) continue;
        if (loops[d.block] &&
            (!function || provenance == nullptr || (d.slot < provenance->made.size() && !provenance->made[d.slot])))
            continue;  // the same rule as for loads inside loops
        if (!work[bb.begin] && !does_work(instrs.instrs[bb.begin].opcode)) continue;
        if (seen.insert({kNoBlock - d.block, d.slot}).second)
            plan.releases.push_back(PlannedRelease{d.slot, d.block, ReleaseKind::on_entry});
    }
    return plan;
}

}  // namespace shrinkpy::analyzer
