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

namespace shrinkpy::analyzer::detail {

std::uint32_t NameTable::intern(const std::string& name) {
    auto [it, added] = index_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (added) names_.push_back(name);
    return it->second;
}

namespace {

using Stack = std::vector<Value>;

Value unknown() { return Value{}; }
Value plain_value() {
    Value v;
    v.plain = true;
    return v;
}

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

class Interpreter {
public:
    Interpreter(const CodeObject& code, const Cfg& cfg, const SlotUniverse& vars,
                const std::vector<std::uint8_t>& args_plain, const Environment& env,
                const std::vector<std::uint32_t>& args_ref)
        : code_(code), cfg_(cfg), vars_(vars), args_plain_(args_plain), args_ref_(args_ref), env_(env) {}

    FlowFacts run();

private:
    // Per variable, flow-insensitive (see value_flow.hpp).
    struct VarFacts {
        std::vector<std::uint8_t> plain;
        std::vector<std::uint32_t> ref;
        std::vector<const CodeObject*> code;
        std::vector<std::int32_t> handle_of;
        bool operator==(const VarFacts&) const = default;
    };
    static constexpr std::uint32_t kUnset = 0xFFFFFFFEu;

    bool simulate_to_fixpoint();
    void transfer(std::uint32_t index, Stack& stack, bool jump);
    void call(std::uint32_t nargs, Stack& stack);
    FlowFacts::CallSite call_site(const CodeObject* callee, const std::vector<Value>& args, std::uint32_t keywords,
                                  std::int32_t keyword_names) const;
    Value load_var(std::int32_t slot, std::uint32_t index) const;
    Value load_global(const std::string& name) const;
    Value load_cell(std::uint32_t localsplus) const;
    void consume(const Value& v);  // a value used by an operation we do not follow
    void taint(const Origin& o, const char* why);
    void store_var(std::int32_t slot, const Value& v);
    std::vector<std::uint8_t> update_facts();
    std::uint32_t intern(const std::string& s) const { return env_.names->intern(s); }
    const std::string& name_at(std::uint32_t i) const {
        static const std::string empty;
        return i < code_.names.size() ? code_.names[i] : empty;
    }

    const CodeObject& code_;
    const Cfg& cfg_;
    const SlotUniverse& vars_;
    const std::vector<std::uint8_t>& args_plain_;
    const std::vector<std::uint32_t>& args_ref_;
    const Environment& env_;

    VarFacts facts_;
    std::vector<std::optional<Stack>> entry_;
    bool collect_ = false;
    bool broken_ = false;
    std::uint32_t pending_kw_ = 0;        // keyword arguments named by the last KW_NAMES
    std::int32_t pending_kw_names_ = -1;  // ... and the co_consts index of their names
    FlowFacts out_;
    // Collected in the last pass, turned into facts by update_facts().
    std::vector<std::uint8_t> store_plain_, tainted_;
    std::vector<std::uint32_t> store_ref_;
    std::vector<const CodeObject*> store_code_;
    std::vector<std::int32_t> store_handle_;
    std::vector<std::int32_t> alias_;
    std::vector<std::uint8_t> store_seen_;  // module code: names its own code stores
};

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

void Interpreter::call(std::uint32_t nargs, Stack& stack) {
    const std::size_t n = nargs;
    if (stack.size() < n + 2) {
        broken_ = true;
        return;
    }
    // 3.11's PRECALL: below the n arguments sit either NULL and the callable, or (LOAD_METHOD, a
    // comprehension's MAKE_FUNCTION) the callable and its first argument (PEEK(oparg + 2) != NULL).
    const std::size_t base = stack.size() - n - 2;
    Value first = stack[base], second = stack[base + 1];
    std::vector<Value> args(stack.begin() + static_cast<std::ptrdiff_t>(base + 2), stack.end());
    if (!first.null && first.method == kNoName) {
        args.insert(args.begin(), second);
        second = first;
        first = Value{.null = true};
    }
    const std::uint32_t keywords = std::min<std::uint32_t>(pending_kw_, nargs);
    const std::int32_t keyword_names = pending_kw_names_;
    pending_kw_ = 0;
    pending_kw_names_ = -1;
    const bool all_args_plain = std::all_of(args.begin(), args.end(), [](const Value& v) { return v.plain; });
    Value result;
    bool receiver_call = false;  // a method on data, whose receiver is `second`
    CallFacts facts;
    const CodeObject* callee_code = nullptr;
    std::string qualified;
    if (first.method != kNoName) {
        if (first.receiver_ref != kNoName) {
            qualified = env_.names->text(first.receiver_ref) + "." + env_.names->text(first.method);
            facts = call_facts(qualified);
        } else {
            receiver_call = true;
            facts = method_facts(env_.names->text(first.method), first.receiver_plain);
        }
    } else if (first.null && second.ref != kNoName) {
        qualified = env_.names->text(second.ref);
        facts = call_facts(qualified);
    } else if (first.null && second.code != nullptr) {
        callee_code = second.code;
    }
    if (collect_ && qualified == "shrinkpy.no_early_free") {
        for (const Value& a : args) {
            if (a.code != nullptr) out_.no_early_free.push_back(a.code);
        }
    }
    if (callee_code != nullptr) {
        const auto it = env_.summaries->find(callee_code);
        const FunctionSummary* summary = it == env_.summaries->end() ? nullptr : &it->second;
        if (collect_) out_.calls.push_back(call_site(callee_code, args, keywords, keyword_names));
        const bool generator = callee_code->is_generator_like();
        const bool genexpr = callee_code->name == "<genexpr>";
        result.plain = summary != nullptr && summary->returns_plain && (!generator || (genexpr && all_args_plain));
        if (summary != nullptr) {
            for (std::size_t i = 0; i < args.size() && i < summary->params_tainted.size(); ++i) {
                if (summary->params_tainted[i])
                    taint(args[i].origin, "a function of this module puts other data into it");
            }
        }
    } else {
        switch (facts.produces) {
            case Produces::plain: result.plain = true; break;
            case Produces::plain_if_inputs:
                result.plain = all_args_plain && (!receiver_call || second.plain);
                if (facts.plain_factory && !args.empty())
                    result.plain = args[0].ref != kNoName && is_plain_type_name(env_.names->text(args[0].ref));
                break;
            case Produces::unknown: result.plain = false; break;
        }
        if (receiver_call && !all_args_plain && stores_arguments(env_.names->text(first.method)))
            taint(second.origin, "a method call puts other data into it");
        if (facts.mutates_first_arg && !args.empty() &&
            !std::all_of(args.begin() + 1, args.end(), [](const Value& v) { return v.plain; })) {
            taint(args[0].origin, "a library function puts other data into it");
        }
        if (facts.handle && env_.handle_rule) {
            const Origin& source = receiver_call ? second.origin : (args.empty() ? Origin{} : args[0].origin);
            if (source.kind == Origin::Kind::var) result.handle_of = static_cast<std::int32_t>(source.id);
        }
        // A method's result may be, or hold, part of its receiver (d.setdefault(k, []), x[0]).
        if (receiver_call && facts.produces != Produces::plain) result.origin = second.origin;
    }
    // Calling a function is not letting it escape; using a handle as a receiver is a use of it.
    if (!first.null) consume(Value{.handle_of = second.handle_of, .handle_loaded = second.handle_loaded});
    for (const Value& a : args) consume(a);
    result.made = true;
    stack.resize(base);
    stack.push_back(result);
    stack.push_back(unknown());  // CALL takes this pair and leaves `result` (see stack_io)
}

void Interpreter::transfer(std::uint32_t index, Stack& stack, bool jump) {
    const Instr& in = cfg_.code->instrs[index];
    const auto pop = [&]() {
        if (stack.empty()) {
            broken_ = true;
            return unknown();
        }
        Value v = stack.back();
        stack.pop_back();
        return v;
    };
    const auto peek = [&](std::size_t k) -> Value& {  // k = 1 is the top
        static Value scratch;
        if (k == 0 || k > stack.size()) {
            broken_ = true;
            return scratch;
        }
        return stack[stack.size() - k];
    };
    const SlotAccess access = vars_.access(in);
    switch (in.opcode) {
        case op::LOAD_FAST: stack.push_back(access.slot >= 0 ? load_var(access.slot, index) : unknown()); return;
        case op::LOAD_NAME:
        case op::LOAD_GLOBAL: {
            const std::uint32_t name = in.opcode == op::LOAD_GLOBAL ? in.arg >> 1 : in.arg;
            if (in.opcode == op::LOAD_GLOBAL && (in.arg & 1)) stack.push_back(Value{.null = true});
            if (vars_.scope == SlotUniverse::Scope::names && access.slot >= 0 &&
                store_seen_[static_cast<std::size_t>(access.slot)]) {
                stack.push_back(load_var(access.slot, index));
            } else {
                stack.push_back(load_global(name_at(name)));
            }
            return;
        }
        case op::STORE_FAST:
        case op::STORE_NAME:
        case op::STORE_GLOBAL: {
            const Value v = pop();
            if (access.slot >= 0) {
                store_var(access.slot, v);
            } else {
                consume(v);
            }
            return;
        }
        case op::LOAD_DEREF:
        case op::LOAD_CLASSDEREF: stack.push_back(load_cell(in.arg)); return;
        case op::STORE_DEREF: {
            const Value v = pop();
            consume(v);
            const Value cell = load_cell(in.arg);
            if (collect_ && cell.origin.kind == Origin::Kind::cell)
                out_.cell_stores.push_back(FlowFacts::CellStore{cell.origin.id, v.plain, v.ref});
            return;
        }
        case op::LOAD_CONST: {
            Value v = plain_value();
            v.constant = static_cast<std::int32_t>(in.arg);
            if (in.arg < code_.consts.size() && code_.consts[in.arg].kind == Constant::Kind::code)
                v.code = code_.consts[in.arg].code.get();
            stack.push_back(v);
            return;
        }
        case op::PUSH_NULL: stack.push_back(Value{.null = true}); return;
        case op::POP_TOP: pop(); return;
        case op::COPY: {
            const Value v = peek(in.arg);
            stack.push_back(v);
            return;
        }
        case op::SWAP: std::swap(peek(1), peek(in.arg)); return;
        case op::UNARY_NOT:
        case op::IS_OP:
        case op::CONTAINS_OP:
        case op::COMPARE_OP: {
            const int pops = in.opcode == op::UNARY_NOT ? 1 : 2;
            for (int k = 0; k < pops; ++k) consume(Value{.code = pop().code});
            stack.push_back(plain_value());
            return;
        }
        case op::UNARY_POSITIVE:
        case op::UNARY_NEGATIVE:
        case op::UNARY_INVERT: {
            Value v = pop();
            consume(Value{.code = v.code});
            stack.push_back(Value{.plain = v.plain, .handle_of = v.handle_of, .handle_loaded = v.handle_loaded});
            return;
        }
        case op::BINARY_OP: {
            const Value right = pop(), left = pop();
            consume(Value{.code = left.code});
            consume(Value{.code = right.code});
            // `x = x + y` / `x += y` into x itself: 3.11 specializes str concatenation to resize x in
            // place (BINARY_OP_INPLACE_ADD_UNICODE), which a release between them would defeat.
            const std::size_t next = index + 1;
            if (collect_ && (in.arg == 0 || in.arg == 13) && left.loaded_at >= 0 && next < cfg_.code->instrs.size() &&
                cfg_.code->instrs[next].opcode == op::STORE_FAST &&
                cfg_.code->instrs[next].arg == cfg_.code->instrs[static_cast<std::size_t>(left.loaded_at)].arg) {
                out_.inplace_concat[static_cast<std::size_t>(left.loaded_at)] = 1;
            }
            Value v;
            v.plain = left.plain && right.plain;
            const Value& h = left.handle_of >= 0 ? left : right;
            v.handle_of = h.handle_of;
            v.handle_loaded = h.handle_loaded;
            v.made = left.made || right.made;
            stack.push_back(v);
            return;
        }
        case op::BINARY_SUBSCR: {
            const Value key = pop(), container = pop();
            consume(key);
            stack.push_back(Value{.plain = container.plain,
                                  .origin = container.origin,
                                  .handle_of = container.handle_of,
                                  .handle_loaded = container.handle_loaded,
                                  .made = key.made});
            return;
        }
        case op::STORE_SUBSCR: {
            const Value key = pop(), container = pop(), v = pop();
            consume(key);
            consume(v);
            if (!(v.plain && key.plain)) taint(container.origin, "non-plain data is stored into it");
            return;
        }
        case op::STORE_ATTR: {
            const Value object = pop(), v = pop();
            consume(v);
            if (!v.plain) taint(object.origin, "non-plain data is stored into one of its attributes");
            return;
        }
        case op::LOAD_ATTR: {
            const Value object = pop();
            Value v;
            const std::string& attr = name_at(in.arg);
            if (object.ref != kNoName) {
                v.ref = intern(env_.names->text(object.ref) + "." + attr);
            } else {
                v.plain = object.plain;
                v.origin = object.origin;
                v.handle_of = object.handle_of;
                v.handle_loaded = object.handle_loaded;
                if (is_handle_attribute(attr) && object.origin.kind == Origin::Kind::var && env_.handle_rule) {
                    v.handle_of = static_cast<std::int32_t>(object.origin.id);
                    v.handle_loaded = false;
                }
            }
            consume(Value{.code = object.code});
            stack.push_back(v);
            return;
        }
        case op::LOAD_METHOD: {
            const Value receiver = pop();
            Value m;
            m.method = intern(name_at(in.arg));
            m.receiver_plain = receiver.plain;
            m.receiver_ref = receiver.ref;
            m.origin = receiver.origin;
            consume(Value{.code = receiver.code});
            stack.push_back(m);
            stack.push_back(receiver);
            return;
        }
        case op::KW_NAMES:
            pending_kw_names_ = static_cast<std::int32_t>(in.arg);
            pending_kw_ =
                in.arg < code_.consts.size() ? static_cast<std::uint32_t>(code_.consts[in.arg].items.size()) : 0;
            return;
        case op::PRECALL: call(in.arg, stack); return;
        case op::CALL: {
            pop();
            const Value result = pop();
            stack.push_back(result);
            return;
        }
        case op::CALL_FUNCTION_EX: {
            Value kwargs = (in.arg & 1) ? pop() : plain_value();
            const Value args = pop(), callable = pop();
            pop();  // NULL
            consume(kwargs);
            consume(args);
            Value result;
            result.made = true;
            if (callable.code != nullptr) {
                if (collect_) out_.calls.push_back(FlowFacts::CallSite{callable.code, {}, {}, false});
                consume(callable);
            } else if (callable.ref != kNoName) {
                const CallFacts f = call_facts(env_.names->text(callable.ref));
                result.plain = f.produces == Produces::plain || (f.produces == Produces::plain_if_inputs &&
                                                                 args.plain && kwargs.plain && !f.plain_factory);
            }
            stack.push_back(result);
            return;
        }
        case op::GET_ITER:
        case op::LIST_TO_TUPLE: {
            const Value v = pop();
            stack.push_back(Value{
                .plain = v.plain, .origin = v.origin, .handle_of = v.handle_of, .handle_loaded = v.handle_loaded});
            return;
        }
        case op::FOR_ITER:
            if (jump) {
                pop();
            } else {
                const Value it = peek(1);
                stack.push_back(Value{.plain = it.plain, .origin = it.origin});
            }
            return;
        case op::UNPACK_SEQUENCE:
        case op::UNPACK_EX: {
            const Value seq = pop();
            const int count = in.opcode == op::UNPACK_SEQUENCE ? static_cast<int>(in.arg)
                                                               : static_cast<int>((in.arg & 0xFF) + (in.arg >> 8) + 1);
            for (int k = 0; k < count; ++k) {
                stack.push_back(Value{.plain = seq.plain,
                                      .origin = seq.origin,
                                      .handle_of = seq.handle_of,
                                      .handle_loaded = seq.handle_loaded});
            }
            return;
        }
        case op::BUILD_STRING:
        case op::FORMAT_VALUE: {
            const int pops = stack_io(in.opcode, in.arg, jump)->pops;
            for (int k = 0; k < pops; ++k) consume(Value{.code = pop().code});
            stack.push_back(Value{.plain = true, .made = true});
            return;
        }
        case op::BUILD_TUPLE:
        case op::BUILD_LIST:
        case op::BUILD_SET:
        case op::BUILD_MAP:
        case op::BUILD_CONST_KEY_MAP:
        case op::BUILD_SLICE: {
            const int pops = stack_io(in.opcode, in.arg, jump)->pops;
            bool plain = true;
            for (int k = 0; k < pops; ++k) {
                const Value v = pop();
                plain = plain && v.plain;
                consume(v);
            }
            // A slice makes its subscript a new container (x[1::3]); a tuple of numbers is small.
            stack.push_back(Value{.plain = plain, .made = in.opcode != op::BUILD_TUPLE});
            return;
        }
        case op::LIST_APPEND:
        case op::SET_ADD:
        case op::LIST_EXTEND:
        case op::SET_UPDATE:
        case op::DICT_UPDATE:
        case op::DICT_MERGE:
        case op::MAP_ADD: {
            bool plain = true;
            const int pops = in.opcode == op::MAP_ADD ? 2 : 1;
            for (int k = 0; k < pops; ++k) {
                const Value v = pop();
                plain = plain && v.plain;
                consume(v);
            }
            Value& target = peek(in.arg);
            target.plain = target.plain && plain;
            return;
        }
        case op::MAKE_FUNCTION: {
            const Value code = pop();
            bool plain = true;
            if (in.arg & 0x08) pop();  // closure cells: held by this frame, never released
            for (std::uint32_t flag : {0x04u, 0x02u, 0x01u}) {
                if (in.arg & flag) {
                    const Value v = pop();
                    plain = plain && v.plain;
                    consume(v);
                }
            }
            Value f;
            f.plain = plain;
            f.code = code.code;
            // Arguments a caller leaves out take the defaults: unknown defaults make the parameters unknown.
            if (collect_ && code.code && (in.arg & 0x03) && !plain)
                out_.calls.push_back(FlowFacts::CallSite{code.code, {}, {}, false});
            stack.push_back(f);
            return;
        }
        case op::IMPORT_NAME: {
            const Value fromlist = pop(), level = pop();
            Value v;
            const bool absolute = level.constant >= 0 &&
                                  static_cast<std::size_t>(level.constant) < code_.consts.size() &&
                                  code_.consts[static_cast<std::size_t>(level.constant)].text == "0";
            if (absolute && fromlist.constant >= 0) {
                const std::string& module = name_at(in.arg);
                const bool bare =
                    code_.consts[static_cast<std::size_t>(fromlist.constant)].kind == Constant::Kind::none;
                v.ref = intern(bare ? module.substr(0, module.find('.')) : module);
            }
            stack.push_back(v);
            return;
        }
        case op::IMPORT_FROM: {
            const Value module = peek(1);
            Value v;
            if (module.ref != kNoName) v.ref = intern(env_.names->text(module.ref) + "." + name_at(in.arg));
            stack.push_back(v);
            return;
        }
        case op::RETURN_VALUE: {
            const Value v = pop();
            consume(v);
            if (!v.plain) out_.returns_plain = false;
            return;
        }
        case op::YIELD_VALUE: {
            const Value v = pop();
            consume(v);
            if (!v.plain) out_.returns_plain = false;
            stack.push_back(unknown());
            return;
        }
        case op::RETURN_GENERATOR: stack.push_back(unknown()); return;
        case op::GET_LEN: stack.push_back(plain_value()); return;
        case op::JUMP_IF_FALSE_OR_POP:
        case op::JUMP_IF_TRUE_OR_POP:
            if (!jump) consume(Value{.code = pop().code});
            return;
        default: break;
    }
    const auto io = stack_io(in.opcode, in.arg, jump);
    if (!io) {
        broken_ = true;
        return;
    }
    for (int k = 0; k < io->pops; ++k) consume(pop());
    for (int k = 0; k < io->pushes; ++k) stack.push_back(unknown());
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

}  // namespace

FlowFacts run_value_flow(const CodeObject& code, const Cfg& cfg, const SlotUniverse& vars,
                         const std::vector<std::uint8_t>& args_plain, const Environment& env,
                         const std::vector<std::uint32_t>& args_ref) {
    return Interpreter(code, cfg, vars, args_plain, env, args_ref).run();
}

}  // namespace shrinkpy::analyzer::detail
