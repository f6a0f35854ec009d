// ====================================================================================================
// ValueFlow: the abstract interpretation behind provenance.cpp. Rules in value_flow.hpp.
// ====================================================================================================
#include "value_flow.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include "opcodes_311.hpp"
#include "plain_producers.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "value_flow_interpreter.hpp"

namespace shrinkpy::analyzer::detail {

std::uint32_t NameTable::intern(const std::string& name) {
    auto [it, added] = index_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (added) names_.push_back(name);
    return it->second;
}

namespace {

// Elementwise meet of two abstract values: what both paths agree on.
Value meet(const Value& a, const Value& b) {
    if (a == b) return a;
    Value v;
    v.plain = a.plain && b.plain;
    v.null = a.null && b.null;
    if (a.ref == b.ref) v.ref = a.ref;
    if (a.code == b.code) v.code = a.code;
    if (a.method == b.method && a.receiver_ref == b.receiver_ref) {
        v.method = a.method;
        v.receiver_ref = a.receiver_ref;
        v.receiver_plain = a.receiver_plain && b.receiver_plain;
    }
    if (a.origin == b.origin) v.origin = a.origin;
    if (a.handle_of == b.handle_of) {
        v.handle_of = a.handle_of;
        v.handle_loaded = a.handle_loaded && b.handle_loaded;
    }
    if (a.loaded_at == b.loaded_at) v.loaded_at = a.loaded_at;
    v.made = a.made || b.made;
    if (a.constant == b.constant) v.constant = a.constant;
    return v;
}

std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t x) {
    while (parent[static_cast<std::size_t>(x)] != x) {
        parent[static_cast<std::size_t>(x)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
        x = parent[static_cast<std::size_t>(x)];
    }
    return x;
}

}  // namespace

Value Interpreter::load_var(std::int32_t slot, std::uint32_t index) const {
    const auto s = static_cast<std::size_t>(slot);
    Value v;
    v.plain = facts_.plain[s] != 0;
    v.ref = facts_.ref[s] == kUnset ? kNoName : facts_.ref[s];
    v.code = facts_.code[s];
    v.origin = Origin{Origin::Kind::var, static_cast<std::uint32_t>(slot)};
    v.handle_of = facts_.handle_of[s];
    v.handle_loaded = v.handle_of >= 0;
    v.loaded_at = static_cast<std::int32_t>(index);
    return v;
}

Value Interpreter::load_global(const std::string& name) const {
    const auto it = env_.globals.find(name);
    if (it != env_.globals.end()) {
        Value v = it->second.known ? it->second.value : unknown();
        v.origin = Origin{Origin::Kind::global, intern(name)};
        v.loaded_at = -1;
        v.handle_of = -1;
        return v;
    }
    Value v;
    if (env_.builtins_known) v.ref = intern("builtins." + name);
    return v;
}

Value Interpreter::load_cell(std::uint32_t localsplus) const {
    Value v;
    const auto it = env_.cell_of_slot->find(&code_);
    if (it == env_.cell_of_slot->end() || localsplus >= it->second.size() || it->second[localsplus] < 0) return v;
    const auto cell = static_cast<std::uint32_t>(it->second[localsplus]);
    v.plain = (*env_.cells_plain)[cell] != 0;
    const std::uint32_t ref = (*env_.cells_ref)[cell];
    v.ref = ref == kUnsetRef ? kNoName : ref;
    v.origin = Origin{Origin::Kind::cell, cell};
    return v;
}

void Interpreter::consume(const Value& v) {
    if (!collect_) return;
    // A handle given to a call or put into a container may be kept and used at any later time, and
    // one used right where it was made (string_at(addressof(b))) has no variable whose last use could
    // keep its source alive: either way the source is pinned. Operations that only read a handle
    // (comparisons, arithmetic into a new handle, formatting, truth tests) do not come here.
    if (v.handle_of >= 0) out_.pinned[static_cast<std::size_t>(v.handle_of)] = 1;
    if (v.code != nullptr) out_.escaped.push_back(v.code);
}

void Interpreter::taint(const Origin& o, const char* why) {
    if (!collect_ || !env_.taint_rule) return;
    switch (o.kind) {
        case Origin::Kind::var:
            if (!tainted_[o.id]) {
                tainted_[o.id] = 1;
                if (out_.why_not[o.id].empty()) out_.why_not[o.id] = why;
            }
            break;
        case Origin::Kind::global: out_.tainted_globals.push_back(o.id); break;
        case Origin::Kind::cell: out_.tainted_cells.push_back(o.id); break;
        case Origin::Kind::none: break;
    }
}

void Interpreter::store_var(std::int32_t slot, const Value& v) {
    if (!collect_ || slot < 0) return;
    const auto s = static_cast<std::size_t>(slot);
    if (!v.plain) {
        store_plain_[s] = 0;
        if (out_.why_not[s].empty()) out_.why_not[s] = "holds a value the analysis cannot prove to be plain data";
    }
    store_ref_[s] = store_ref_[s] == kUnset ? v.ref : (store_ref_[s] == v.ref ? v.ref : kNoName);
    const CodeObject* unset = reinterpret_cast<const CodeObject*>(&code_);  // sentinel
    store_code_[s] = store_code_[s] == unset ? v.code : (store_code_[s] == v.code ? v.code : nullptr);
    if (v.code != nullptr) out_.holds_function[s] = 1;
    if (v.constant < 0) out_.holds_other[s] = 1;
    if (v.made) out_.holds_made[s] = 1;
    if (v.handle_of >= 0 && env_.handle_rule && v.handle_of != slot) store_handle_[s] = v.handle_of;
    if (v.origin.kind == Origin::Kind::var && v.origin.id != static_cast<std::uint32_t>(slot)) {
        const std::int32_t a = find_root(alias_, slot), b = find_root(alias_, static_cast<std::int32_t>(v.origin.id));
        if (a != b) alias_[static_cast<std::size_t>(a)] = b;
    }
    if (vars_.scope == SlotUniverse::Scope::names) out_.stores.emplace_back(static_cast<std::uint32_t>(slot), v);
}

// What a call passes to each argument of `callee`: positional arguments by position, keyword
// arguments by name; an argument not passed takes its default (plain, see MAKE_FUNCTION). Not exact
// when a keyword names no argument (it goes to **kwargs) or one only positional arguments can take.
FlowFacts::CallSite Interpreter::call_site(const CodeObject* callee, const std::vector<Value>& args,
                                           std::uint32_t keywords, std::int32_t keyword_names) const {
    FlowFacts::CallSite site{callee, {}, {}, true};
    const auto slots = static_cast<std::size_t>(std::max(0, callee->total_args()));
    site.args_plain.assign(slots, 1);
    site.args_ref.assign(slots, kUnsetRef);
    const std::size_t positional = args.size() - keywords;
    if (positional > static_cast<std::size_t>(callee->argcount)) site.exact = false;  // *args
    for (std::size_t i = 0; i < positional && i < slots; ++i) {
        site.args_plain[i] = args[i].plain ? 1 : 0;
        site.args_ref[i] = args[i].ref;
    }
    if (keywords == 0) return site;
    const bool names_known = keyword_names >= 0 && static_cast<std::size_t>(keyword_names) < code_.consts.size() &&
                             code_.consts[static_cast<std::size_t>(keyword_names)].items.size() == keywords;
    if (!names_known) {
        site.exact = false;
        return site;
    }
    const auto& names = code_.consts[static_cast<std::size_t>(keyword_names)].items;
    for (std::uint32_t k = 0; k < keywords; ++k) {
        const auto begin = callee->localsplus_names.begin() + callee->posonlyargcount;
        const auto end = callee->localsplus_names.begin() +
                         static_cast<std::ptrdiff_t>(std::min(slots, callee->localsplus_names.size()));
        const auto it = std::find(begin, end, names[k].text);
        if (it == end) {
            site.exact = false;
            continue;
        }
        const auto j = static_cast<std::size_t>(it - callee->localsplus_names.begin());
        site.args_plain[j] = args[positional + k].plain ? 1 : 0;
        site.args_ref[j] = args[positional + k].ref;
    }
    return site;
}

bool Interpreter::simulate_to_fixpoint() {
    const std::size_t nblocks = cfg_.blocks.size();
    entry_.assign(nblocks, std::nullopt);
    std::vector<std::uint32_t> work;
    std::vector<std::uint8_t> queued(nblocks, 0);
    const auto reach = [&](std::uint32_t b, const Stack& s) {
        if (b == kNoBlock) return;
        auto& e = entry_[b];
        if (!e) {
            e = s;
        } else {
            if (e->size() != s.size()) {
                broken_ = true;
                return;
            }
            Stack merged(s.size());
            for (std::size_t k = 0; k < s.size(); ++k) merged[k] = meet((*e)[k], s[k]);
            if (merged == *e) return;
            e = std::move(merged);
        }
        if (!queued[b]) {
            queued[b] = 1;
            work.push_back(b);
        }
    };
    for (std::uint32_t b = 0; b < nblocks; ++b) {
        if (cfg_.reachable(b) && (b == 0 || cfg_.blocks[b].is_handler))
            reach(b, Stack(static_cast<std::size_t>(cfg_.blocks[b].entry_depth)));
    }
    std::size_t steps = 0;
    while (!work.empty() && !broken_) {
        if (++steps > 64 * nblocks + 1024) {
            broken_ = true;  // no fixed point in reasonable time: give up, safely
            break;
        }
        const std::uint32_t id = work.back();
        work.pop_back();
        queued[id] = 0;
        const BasicBlock& b = cfg_.blocks[id];
        Stack stack = *entry_[id];
        pending_kw_ = 0;
        pending_kw_names_ = -1;
        for (std::uint32_t i = b.begin; i < b.end && !broken_; ++i) {
            if (i + 1 == b.end && b.jump != kNoBlock) {
                Stack taken = stack;
                transfer(i, taken, true);
                reach(b.jump, taken);
            }
            transfer(i, stack, false);
        }
        if (b.fallthrough != kNoBlock) reach(b.fallthrough, stack);
    }
    if (broken_) return false;
    // The collecting pass: every reachable block once, from its final entry state.
    collect_ = true;
    for (std::uint32_t id = 0; id < nblocks && !broken_; ++id) {
        if (!entry_[id]) continue;
        const BasicBlock& b = cfg_.blocks[id];
        Stack stack = *entry_[id];
        pending_kw_ = 0;
        pending_kw_names_ = -1;
        for (std::uint32_t i = b.begin; i < b.end && !broken_; ++i) {
            if (i + 1 == b.end && b.jump != kNoBlock) {
                Stack taken = stack;
                transfer(i, taken, true);
            }
            transfer(i, stack, false);
        }
    }
    collect_ = false;
    return !broken_;
}

FlowFacts Interpreter::run() {
    const std::size_t n = vars_.size();
    const std::size_t ninstr = cfg_.code->instrs.size();
    facts_.plain.assign(n, 1);
    facts_.ref.assign(n, kNoName);
    facts_.code.assign(n, nullptr);
    facts_.handle_of.assign(n, -1);
    store_seen_.assign(n, 0);
    // Names of module code that its own code stores: loads of the others resolve as globals do.
    for (const Instr& in : cfg_.code->instrs) {
        const SlotAccess a = vars_.access(in);
        if (a.kind == AccessKind::store) store_seen_[static_cast<std::size_t>(a.slot)] = 1;
    }
    if (vars_.scope == SlotUniverse::Scope::fast_locals) {
        // Arguments are what callers pass: plain only when every caller is known to pass plain data.
        const auto args = static_cast<std::size_t>(std::max(0, code_.total_args()));
        for (std::size_t i = 0; i < args && i < vars_.slot_of_arg.size(); ++i) {
            if (vars_.slot_of_arg[i] >= 0)
                facts_.plain[static_cast<std::size_t>(vars_.slot_of_arg[i])] =
                    i < args_plain_.size() ? args_plain_[i] : 0;
        }
    }
    // Two phases: first what variables are (modules, functions, handles), with every variable
    // assumed plain; then plainness, lowered round by round to its fixed point. Refs must settle
    // first: an import seen late must not have made a call look unknown for good.
    bool refs_settled = false;
    for (int round = 0; round < 40; ++round) {
        out_ = FlowFacts{};
        out_.pinned.assign(n, 0);
        out_.holds_function.assign(n, 0);
        out_.holds_other.assign(n, 0);
        out_.holds_made.assign(n, 0);
        for (std::uint32_t a : vars_.entry_bound) out_.holds_other[a] = out_.holds_made[a] = 1;  // arguments
        out_.inplace_concat.assign(ninstr, 0);
        out_.why_not.assign(n, {});
        store_plain_.assign(n, 1);
        tainted_.assign(n, 0);
        store_ref_.assign(n, kUnset);
        for (std::size_t i = 0; i < args_ref_.size() && i < vars_.slot_of_arg.size(); ++i) {
            if (vars_.slot_of_arg[i] >= 0) store_ref_[static_cast<std::size_t>(vars_.slot_of_arg[i])] = args_ref_[i];
        }
        store_code_.assign(n, reinterpret_cast<const CodeObject*>(&code_));
        store_handle_.assign(n, -1);
        alias_.resize(n);
        std::iota(alias_.begin(), alias_.end(), 0);
        if (!simulate_to_fixpoint()) break;
        VarFacts next = facts_;
        for (std::size_t s = 0; s < n; ++s) {
            next.ref[s] = store_ref_[s] == kUnset ? kNoName : store_ref_[s];
            next.code[s] = store_code_[s] == reinterpret_cast<const CodeObject*>(&code_) ? nullptr : store_code_[s];
            next.handle_of[s] = store_handle_[s];
        }
        if (!refs_settled) {
            refs_settled = next.ref == facts_.ref && next.code == facts_.code && next.handle_of == facts_.handle_of;
            if (!refs_settled) {
                facts_ = std::move(next);
                continue;
            }
            // Settled: this round already saw the final refs, so its stores can lower plainness.
        }
        for (std::size_t s = 0; s < n; ++s) next.plain[s] = facts_.plain[s] && store_plain_[s] && !tainted_[s];
        // Variables that may hold the same object share one verdict.
        std::vector<std::uint8_t> class_plain(n, 1);
        for (std::size_t s = 0; s < n; ++s) {
            const auto r = static_cast<std::size_t>(find_root(alias_, static_cast<std::int32_t>(s)));
            class_plain[r] = class_plain[r] && next.plain[s];
        }
        for (std::size_t s = 0; s < n; ++s) {
            const auto r = static_cast<std::size_t>(find_root(alias_, static_cast<std::int32_t>(s)));
            if (!class_plain[r] && next.plain[s]) {
                next.plain[s] = 0;
                if (out_.why_not[s].empty())
                    out_.why_not[s] = "may hold the same object as a variable that is not plain";
            }
        }
        if (next == facts_) {
            for (std::size_t s = 0; s < n; ++s) {
                if (facts_.plain[s] || !out_.why_not[s].empty()) continue;
                const bool argument =
                    std::find(vars_.entry_bound.begin(), vars_.entry_bound.end(), s) != vars_.entry_bound.end();
                out_.why_not[s] = argument ? "an argument: not every caller is known to pass plain data"
                                           : "may hold the same object as a variable that is not plain";
            }
            out_.plain = facts_.plain;
            out_.handle_of = facts_.handle_of;
            out_.tainted = tainted_;
            return std::move(out_);
        }
        facts_ = std::move(next);
    }
    // Malformed or not converging: nothing is plain, nothing may be freed.
    FlowFacts none;
    none.plain.assign(n, 0);
    none.tainted.assign(n, 1);
    none.handle_of.assign(n, -1);
    none.pinned.assign(n, 1);
    none.holds_function.assign(n, 0);
    none.holds_other.assign(n, 1);
    none.holds_made.assign(n, 1);
    none.inplace_concat.assign(ninstr, 0);
    none.why_not.assign(n, "the value analysis could not follow this code");
    none.returns_plain = false;
    return none;
}

FlowFacts run_value_flow(const CodeObject& code, const Cfg& cfg, const SlotUniverse& vars,
                         const std::vector<std::uint8_t>& args_plain, const Environment& env,
                         const std::vector<std::uint32_t>& args_ref) {
    return Interpreter(code, cfg, vars, args_plain, env, args_ref).run();
}

}  // namespace shrinkpy::analyzer::detail
