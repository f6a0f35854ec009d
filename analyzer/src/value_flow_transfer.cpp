// ====================================================================================================
// ValueFlow's transfer function: what each 3.11 instruction does to the abstract operand stack
// (pops and pushes as opcodes.hpp's stack_io has them), calls included. Rules in value_flow.hpp.
// ====================================================================================================
#include <algorithm>

#include "opcodes_311.hpp"
#include "plain_producers.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "value_flow_interpreter.hpp"

namespace shrinkpy::analyzer::detail {

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

}  // namespace shrinkpy::analyzer::detail
