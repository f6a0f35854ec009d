// ====================================================================================================
// The module-wide driver of the plain-data analysis (rules in provenance.hpp): cells, the globals
// environment, function summaries, and the fixed point over all code objects.
// ====================================================================================================
#include "shrinkpy/analyzer/provenance.hpp"

#include <algorithm>
#include <set>

#include "opcodes_311.hpp"
#include "value_flow.hpp"

namespace shrinkpy::analyzer {
namespace {

using detail::FlowFacts;
using detail::FunctionSummary;

inline constexpr std::uint32_t kCoNewlocals = 0x0002;
using detail::kUnsetRef;

struct Node {
    const CodeAnalysis* analysis = nullptr;
    std::int32_t parent = -1;
    bool function = false;  // CO_NEWLOCALS: a function, lambda or comprehension (not a class body)
};

void collect(const CodeAnalysis& a, std::int32_t parent, std::vector<Node>& out) {
    const auto self = static_cast<std::int32_t>(out.size());
    out.push_back(Node{&a, parent, parent >= 0 && (a.code->flags & kCoNewlocals) != 0});
    for (const CodeAnalysis& child : a.children) collect(child, self, out);
}

bool usable(const Node& n) { return !n.analysis->error && n.analysis->cfg; }

class Driver {
public:
    Driver(const CodeAnalysis& module, ProvenanceOptions options) : options_(options) {
        collect(module, -1, nodes_);
        env_.names = &names_;
        env_.summaries = &summaries_;
        env_.cells_plain = &cells_plain_;
        env_.cells_ref = &cells_ref_;
        env_.cell_of_slot = &cell_of_slot_;
        env_.handle_rule = options.handle_rule;
        env_.taint_rule = options.taint_rule;
        module_names_ = name_slots(*module.code);
    }

    ModuleProvenance run();

private:
    void assign_cells();
    void scan_global_writers();
    void build_environment(const FlowFacts& module_facts);
    // Merges what the code objects' flows saw into the summaries; true when anything changed.
    // First only what arguments are (refs_only), then, with those settled, plainness.
    bool update(const std::vector<FlowFacts>& facts, bool refs_only);
    std::vector<std::uint8_t> args_plain(const Node& n) const;
    std::vector<std::uint8_t> cells_key() const {  // the cells' state, for input_key()
        std::vector<std::uint8_t> key(cells_plain_);
        for (std::uint32_t r : cells_ref_) key.push_back(static_cast<std::uint8_t>(r * 31u + (r >> 8)));
        return key;
    }
    std::vector<std::uint32_t> args_ref(const Node& n) const;

    ProvenanceOptions options_;
    std::vector<Node> nodes_;
    detail::NameTable names_;
    detail::Environment env_;
    std::unordered_map<const CodeObject*, FunctionSummary> summaries_;
    std::vector<std::uint8_t> cells_plain_;
    std::vector<std::uint32_t> cells_ref_;
    std::unordered_map<const CodeObject*, std::vector<std::int32_t>> cell_of_slot_;
    SlotUniverse module_names_;
    std::set<std::string> written_by_functions_;  // global, nonlocal-at-module or del by nested code
    std::set<std::uint32_t> tainted_globals_;
    bool dynamic_ = false;
    std::string environment_key_;  // what the functions saw last round, to skip unchanged reruns
    std::uint64_t environment_version_ = 0;
};

// Everything a function's value flow depends on besides its own code: its arguments, the
// environment, cells, and the summaries of the functions it called. Unchanged: reuse its facts.
std::string input_key(const std::vector<std::uint8_t>& args, const std::vector<std::uint32_t>& refs,
                      std::uint64_t environment, const std::vector<std::uint8_t>& cells, const FlowFacts& last,
                      const std::unordered_map<const CodeObject*, FunctionSummary>& summaries) {
    std::string key(args.begin(), args.end());
    for (std::uint32_t r : refs) key += std::to_string(r) + ",";
    key += "|" + std::to_string(environment) + "|" + std::string(cells.begin(), cells.end()) + "|";
    for (const FlowFacts::CallSite& site : last.calls) {
        const auto it = summaries.find(site.callee);
        if (it == summaries.end()) continue;
        key += std::to_string(reinterpret_cast<std::uintptr_t>(site.callee)) + (it->second.returns_plain ? "r" : "n");
        key += std::string(it->second.params_tainted.begin(), it->second.params_tainted.end()) + ";";
    }
    return key;
}

// Cells get one id shared by the owner's cell slot and every nested code object's free slot of
// the same name (resolved to the nearest enclosing owner, as the compiler does).
void Driver::assign_cells() {
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const CodeObject& code = *nodes_[k].analysis->code;
        std::vector<std::int32_t>& slots = cell_of_slot_[&code];
        slots.assign(code.localsplus_names.size(), -1);
        for (std::size_t i = 0; i < code.localsplus_names.size() && i < code.localsplus_kinds.size(); ++i) {
            if (code.kind(i) & kFastCell) {
                slots[i] = static_cast<std::int32_t>(cells_plain_.size());
                cells_plain_.push_back(1);
                cells_ref_.push_back(kUnsetRef);
            } else if (code.kind(i) & kFastFree) {
                for (std::int32_t p = nodes_[k].parent; p >= 0; p = nodes_[static_cast<std::size_t>(p)].parent) {
                    const CodeObject& owner = *nodes_[static_cast<std::size_t>(p)].analysis->code;
                    const auto& names = owner.localsplus_names;
                    const auto it = std::find(names.begin(), names.end(), code.localsplus_names[i]);
                    const auto& owner_slots = cell_of_slot_[&owner];
                    if (it != names.end() && static_cast<std::size_t>(it - names.begin()) < owner_slots.size() &&
                        owner_slots[static_cast<std::size_t>(it - names.begin())] >= 0) {
                        slots[i] = owner_slots[static_cast<std::size_t>(it - names.begin())];
                        break;
                    }
                }
            }
        }
    }
}

void Driver::scan_global_writers() {
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const CodeAnalysis& a = *nodes_[k].analysis;
        if (!a.instrs) continue;
        for (const Instr& in : a.instrs->instrs) {
            const auto name = [&](std::uint32_t i) {
                return i < a.code->names.size() ? a.code->names[i] : std::string();
            };
            switch (in.opcode) {
                case op::STORE_GLOBAL:
                case op::DELETE_GLOBAL:
                    if (k != 0) written_by_functions_.insert(name(in.arg));
                    break;
                case op::IMPORT_STAR: dynamic_ = true; break;  // binds names nobody can list
                case op::LOAD_GLOBAL:
                case op::LOAD_NAME: {
                    // Ways to bind or rebind a global without a store naming it. locals() and vars()
                    // read a function's own variables, except at module level.
                    const std::string n = name(in.opcode == op::LOAD_GLOBAL ? in.arg >> 1 : in.arg);
                    if (n == "globals" || n == "eval" || n == "exec" || (k == 0 && (n == "vars" || n == "locals")))
                        dynamic_ = true;
                    break;
                }
                default: break;
            }
        }
    }
}

void Driver::build_environment(const FlowFacts& module_facts) {
    env_.globals.clear();
    env_.builtins_known = !dynamic_;
    std::vector<std::vector<const detail::Value*>> stores(module_names_.size());
    for (const auto& [s, v] : module_facts.stores) {
        if (s < stores.size()) stores[s].push_back(&v);
    }
    for (std::size_t slot = 0; slot < module_names_.size(); ++slot) {
        const std::string& name = module_names_.names[slot];
        const bool stored = !stores[slot].empty();
        if (!stored && !written_by_functions_.count(name)) continue;  // a builtin, or never bound
        detail::GlobalValue g;
        g.known = !dynamic_ && !written_by_functions_.count(name) && stored;
        if (g.known) {
            g.value = *stores[slot].front();  // what every store agrees on: the ref and the code
            for (const detail::Value* v : stores[slot]) {
                if (v->ref != g.value.ref) g.value.ref = detail::kNoName;
                if (v->code != g.value.code) g.value.code = nullptr;
            }
            g.value.plain = module_facts.plain.size() > slot && module_facts.plain[slot] &&
                            !tainted_globals_.count(names_.intern(name));
            g.value.origin = {};
            g.value.handle_of = -1;
            g.value.loaded_at = -1;
            g.value.constant = -1;
        }
        env_.globals[name] = g;
    }
    std::string key = env_.builtins_known ? "b" : "-";
    for (const auto& [name, g] : env_.globals) {
        key += name + (g.known ? "k" : "u") + (g.value.plain ? "p" : "n") + std::to_string(g.value.ref) +
               std::to_string(reinterpret_cast<std::uintptr_t>(g.value.code)) + ";";
    }
    if (key != environment_key_) {
        environment_key_ = std::move(key);
        ++environment_version_;
    }
}

std::vector<std::uint32_t> Driver::args_ref(const Node& n) const {
    const auto it = summaries_.find(n.analysis->code);
    if (it == summaries_.end() || !it->second.callers_known) return {};
    std::vector<std::uint32_t> out = it->second.params_ref;
    for (std::uint32_t& r : out) r = r == kUnsetRef ? detail::kNoName : r;
    return out;
}

std::vector<std::uint8_t> Driver::args_plain(const Node& n) const {
    const auto it = summaries_.find(n.analysis->code);
    if (it == summaries_.end() || !it->second.callers_known) return {};
    return it->second.params_plain;
}

bool Driver::update(const std::vector<FlowFacts>& facts, bool refs_only) {
    bool changed = false;
    const auto lower = [&](std::uint8_t& flag, bool value) {
        if (!refs_only && flag && !value) {
            flag = 0;
            changed = true;
        }
    };
    const auto meet_ref = [&](std::uint32_t& ref, std::uint32_t seen) {
        const std::uint32_t met = ref == kUnsetRef || ref == seen ? seen : detail::kNoName;
        if (met != ref) {
            ref = met;
            changed = true;
        }
    };
    std::unordered_map<const CodeObject*, std::vector<std::uint8_t>> observed;
    std::unordered_map<const CodeObject*, std::vector<std::uint32_t>> observed_ref;
    std::set<const CodeObject*> inexact, escaped;
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const FlowFacts& f = facts[k];
        for (const FlowFacts::CallSite& site : f.calls) {
            auto [it, added] = observed.try_emplace(site.callee);
            std::vector<std::uint8_t>& seen = it->second;
            if (!site.exact) inexact.insert(site.callee);
            if (seen.size() < site.args_plain.size()) seen.resize(site.args_plain.size(), 1);
            for (std::size_t i = 0; i < site.args_plain.size(); ++i) seen[i] = seen[i] && site.args_plain[i];
            std::vector<std::uint32_t>& refs = observed_ref[site.callee];
            if (refs.size() < site.args_ref.size()) refs.resize(site.args_ref.size(), kUnsetRef);
            for (std::size_t i = 0; i < site.args_ref.size(); ++i) {
                if (site.args_ref[i] == kUnsetRef) continue;  // not passed: the default
                refs[i] = refs[i] == kUnsetRef || refs[i] == site.args_ref[i] ? site.args_ref[i] : detail::kNoName;
            }
        }
        escaped.insert(f.escaped.begin(), f.escaped.end());
        for (const FlowFacts::CellStore& store : f.cell_stores) {
            lower(cells_plain_[store.cell], store.plain);
            meet_ref(cells_ref_[store.cell], store.ref);
        }
        if (refs_only) continue;
        for (std::uint32_t g : f.tainted_globals) changed |= tainted_globals_.insert(g).second;
        for (std::uint32_t c : f.tainted_cells) lower(cells_plain_[c], false);
    }
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const CodeObject* code = nodes_[k].analysis->code;
        auto it = summaries_.find(code);
        if (it == summaries_.end()) continue;
        FunctionSummary& s = it->second;
        const FlowFacts& f = facts[k];
        if (!refs_only && s.returns_plain && !f.returns_plain) {
            s.returns_plain = false;
            changed = true;
        }
        if (s.callers_known && (escaped.count(code) || inexact.count(code))) {
            s.callers_known = false;
            changed = true;
        }
        const auto seen = observed.find(code);
        for (std::size_t i = 0; i < s.params_plain.size(); ++i) {
            const bool passed_plain = seen == observed.end() || i >= seen->second.size() || seen->second[i];
            lower(s.params_plain[i], s.callers_known && passed_plain);
        }
        // What every caller passes (a module handed down: its functions stay known).
        const auto refs = observed_ref.find(code);
        for (std::size_t i = 0; i < s.params_ref.size(); ++i) {
            std::uint32_t ref = detail::kNoName;
            if (s.callers_known && refs != observed_ref.end() && i < refs->second.size() &&
                refs->second[i] != kUnsetRef)
                ref = refs->second[i];
            if (ref != s.params_ref[i] && s.params_ref[i] != detail::kNoName) {
                s.params_ref[i] = s.params_ref[i] == kUnsetRef ? ref : detail::kNoName;
                changed = true;
            }
        }
        // Arguments this function puts non-plain data into: charge them to the callers' variables.
        const SlotUniverse& vars = nodes_[k].analysis->locals;
        for (std::size_t i = 0; i < s.params_tainted.size() && i < vars.slot_of_arg.size(); ++i) {
            const std::int32_t slot = vars.slot_of_arg[i];
            if (slot >= 0 && static_cast<std::size_t>(slot) < f.tainted.size() &&
                f.tainted[static_cast<std::size_t>(slot)] && !s.params_tainted[i]) {
                s.params_tainted[i] = 1;
                changed = true;
            }
        }
        // Arguments that are cells: their value flows into the cell.
        const auto& cells = cell_of_slot_[code];
        for (std::size_t i = 0; i < s.params_plain.size() && i < cells.size(); ++i) {
            if (cells[i] < 0) continue;
            lower(cells_plain_[static_cast<std::size_t>(cells[i])], s.params_plain[i]);
            const std::uint32_t ref = s.params_ref[i];
            if (ref != kUnsetRef) meet_ref(cells_ref_[static_cast<std::size_t>(cells[i])], ref);
        }
    }
    return changed;
}

ModuleProvenance Driver::run() {
    assign_cells();
    scan_global_writers();
    for (std::size_t k = 1; k < nodes_.size(); ++k) {
        const Node& n = nodes_[k];
        if (!n.function) continue;
        const CodeObject& code = *n.analysis->code;
        const Node& parent = nodes_[static_cast<std::size_t>(n.parent)];
        const bool comprehension = code.name == "<listcomp>" || code.name == "<setcomp>" || code.name == "<dictcomp>" ||
                                   code.name == "<genexpr>";
        // Who can call it: a comprehension only its creator; a nested function only its enclosing
        // code unless it escapes; a function of __main__ only __main__ itself; a method anybody.
        const bool known = comprehension || (parent.function) || (n.parent == 0 && options_.module_is_main);
        FunctionSummary s;
        s.callers_known = known;
        const auto args = static_cast<std::size_t>(std::max(0, code.total_args()));
        s.params_plain.assign(args, known ? 1 : 0);
        s.params_ref.assign(args, known ? kUnsetRef : detail::kNoName);
        s.params_tainted.assign(args, 0);
        summaries_[&code] = std::move(s);
    }
    ModuleProvenance out;
    std::vector<FlowFacts> facts(nodes_.size());
    std::vector<std::string> inputs(nodes_.size());
    const Node& root = nodes_[0];
    bool converged = false;
    bool refs_phase = true;
    std::string module_inputs;
    for (int round = 0; round < 24 && usable(root); ++round) {
        // The module's own code depends only on the taint functions put into its globals.
        std::string key;
        for (std::uint32_t g : tainted_globals_) key += std::to_string(g) + ",";
        if (round == 0 || key != module_inputs) {
            facts[0] = detail::run_value_flow(*root.analysis->code, *root.analysis->cfg, module_names_, {}, env_);
            module_inputs = key;
        }
        build_environment(facts[0]);
        for (std::size_t k = 1; k < nodes_.size(); ++k) {
            const Node& n = nodes_[k];
            if (!n.function || !usable(n)) {
                facts[k] = FlowFacts{};
                facts[k].returns_plain = false;
                continue;
            }
            const std::vector<std::uint8_t> args = args_plain(n);
            const std::vector<std::uint32_t> refs = args_ref(n);
            std::string now = input_key(args, refs, environment_version_, cells_key(), facts[k], summaries_);
            if (round > 0 && now == inputs[k]) continue;
            facts[k] =
                detail::run_value_flow(*n.analysis->code, *n.analysis->cfg, n.analysis->locals, args, env_, refs);
            inputs[k] = input_key(args, refs, environment_version_, cells_key(), facts[k], summaries_);
        }
        if (!update(facts, refs_phase)) {
            if (refs_phase) {
                refs_phase = false;
                continue;
            }
            converged = true;
            break;
        }
    }
    out.converged = converged;
    for (const FlowFacts& f : facts)
        out.no_early_free.insert(out.no_early_free.end(), f.no_early_free.begin(), f.no_early_free.end());
    if (!converged) return out;  // nothing is known plain: the caller frees nothing
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const Node& n = nodes_[k];
        if ((k != 0 && !n.function) || !usable(n)) continue;
        FlowFacts& f = facts[k];
        CodeProvenance p;
        p.plain = std::move(f.plain);
        p.pinned = std::move(f.pinned);
        p.handle_of = std::move(f.handle_of);
        p.inplace_concat = std::move(f.inplace_concat);
        p.why_not = std::move(f.why_not);
        const CodeObject& code = *n.analysis->code;
        p.cell_plain.assign(code.localsplus_names.size(), 0);
        const auto& cells = cell_of_slot_[&code];
        for (std::size_t i = 0; i < cells.size() && i < code.localsplus_kinds.size(); ++i) {
            if (cells[i] >= 0 && (code.kind(i) & kFastCell))
                p.cell_plain[i] = cells_plain_[static_cast<std::size_t>(cells[i])];
        }
        // Constants live in co_consts anyway; functions are small, and looked up by name (pickle,
        // multiprocessing) or read from frames by error reporters.
        p.pointless.assign(p.plain.size(), 0);
        p.made.assign(p.plain.size(), 0);
        for (std::size_t slot = 0; slot < p.pointless.size() && slot < f.holds_function.size(); ++slot) {
            p.pointless[slot] = f.holds_function[slot] || !f.holds_other[slot];
            p.made[slot] = f.holds_made[slot];
        }
        if (k == 0) {
            // Module code: names a function puts non-plain data into are not plain.
            for (std::size_t slot = 0; slot < module_names_.size() && slot < p.plain.size(); ++slot) {
                if (p.plain[slot] && tainted_globals_.count(names_.intern(module_names_.names[slot]))) {
                    p.plain[slot] = 0;
                    p.why_not[slot] = "a function puts other data into it";
                }
            }
        }
        out.codes[n.analysis->code] = std::move(p);
    }
    return out;
}

}  // namespace

ModuleProvenance analyze_provenance(const CodeAnalysis& module, ProvenanceOptions options) {
    return Driver(module, options).run();
}

}  // namespace shrinkpy::analyzer
