// ====================================================================================================
// Uses of module-level names, by abstract interpretation of the operand stack. Rules in
// name_uses.hpp; stack effects of 3.11's ceval.c (not compile.c's accounting: PRECALL pops
// nothing, CALL pops the callable, its NULL-or-self slot and the arguments).
// ====================================================================================================
#include "shrinkpy/analyzer/name_uses.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string_view>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

// Stack values. A value >= 0 is the index of the instruction that produced it: a load of a
// tracked name, or a BUILD_TUPLE with tracked values inside.
constexpr int kOther = -1;
constexpr int kNull = -2;          // LOAD_GLOBAL's NULL bit, PUSH_NULL
constexpr int kMethodOrNull = -3;  // LOAD_METHOD's first push
constexpr int kClassCheckFn = -4;  // the builtins isinstance / issubclass

using Stack = std::vector<int>;

constexpr std::array<std::string_view, 4> kComprehensions = {"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"};

struct Classification {
    NameUseKind kind = NameUseKind::discarded;
    std::string detail;
    bool seen = false;
    std::vector<std::string> attributes;  // names read from it (LOAD_ATTR / LOAD_METHOD)
};

// What an opcode does to a tracked value it consumes, for reports.
std::string consumed_by(std::uint8_t opcode) {
    switch (opcode) {
        case op::IS_OP: return "compared by identity (is)";
        case op::COMPARE_OP: return "compared";
        case op::CONTAINS_OP: return "tested with in";
        case op::STORE_FAST:
        case op::STORE_NAME:
        case op::STORE_GLOBAL:
        case op::STORE_DEREF: return "stored in another variable";
        case op::STORE_ATTR: return "stored as or given an attribute";
        case op::STORE_SUBSCR: return "stored in or given an item";
        case op::RETURN_VALUE: return "returned";
        case op::YIELD_VALUE: return "yielded";
        case op::BINARY_SUBSCR: return "subscripted";
        case op::GET_ITER:
        case op::GET_AITER: return "iterated";
        case op::CHECK_EXC_MATCH:
        case op::CHECK_EG_MATCH: return "caught by `except` (the proxy is not an exception class)";
        case op::FORMAT_VALUE: return "formatted";
        case op::RAISE_VARARGS: return "raised";
        case op::MAKE_FUNCTION: return "used as a default, annotation or closure";
        case op::BUILD_TUPLE:
        case op::BUILD_LIST:
        case op::BUILD_SET:
        case op::BUILD_MAP:
        case op::BUILD_CONST_KEY_MAP:
        case op::LIST_APPEND:
        case op::SET_ADD:
        case op::MAP_ADD: return "put in a container";
        case op::BINARY_OP:
        case op::UNARY_NEGATIVE:
        case op::UNARY_POSITIVE:
        case op::UNARY_INVERT: return "used as an operand";
        case op::UNARY_NOT:
        case op::JUMP_IF_FALSE_OR_POP:
        case op::JUMP_IF_TRUE_OR_POP:
        case op::POP_JUMP_FORWARD_IF_FALSE:
        case op::POP_JUMP_FORWARD_IF_TRUE:
        case op::POP_JUMP_BACKWARD_IF_FALSE:
        case op::POP_JUMP_BACKWARD_IF_TRUE: return "tested for truth";
        case op::POP_JUMP_FORWARD_IF_NONE:
        case op::POP_JUMP_FORWARD_IF_NOT_NONE:
        case op::POP_JUMP_BACKWARD_IF_NONE:
        case op::POP_JUMP_BACKWARD_IF_NOT_NONE: return "compared with None";
        default: return std::string("used by ") + opcode_name(opcode);
    }
}

// The interpretation of one code object.
class StackInterpreter {
public:
    StackInterpreter(const CodeObject& code, const InstrList& list, const Cfg& cfg,
                     const std::vector<std::string>& tracked, bool class_checks_are_builtins)
        : code_(code), list_(list), cfg_(cfg), tracked_(tracked), builtin_checks_(class_checks_are_builtins) {}

    void run() {
        const std::size_t nblocks = cfg_.blocks.size();
        entry_.assign(nblocks, std::nullopt);
        std::deque<std::uint32_t> work;
        std::vector<std::uint8_t> queued(nblocks, 0);
        const auto merge_into = [&](std::uint32_t b, const Stack& incoming) {
            if (b == kNoBlock || !cfg_.reachable(b)) return;
            if (merge(b, incoming) && !queued[b]) {
                queued[b] = 1;
                work.push_back(b);
            }
        };
        for (std::uint32_t b = 0; b < nblocks; ++b) {
            if (!cfg_.reachable(b)) continue;
            if (b == 0 || cfg_.blocks[b].is_handler) {
                // Handlers start from unwound slots (values below the depth were checked at every
                // raiser) plus lasti and the exception: all "other".
                merge_into(b, Stack(static_cast<std::size_t>(cfg_.blocks[b].entry_depth), kOther));
            }
        }
        while (!work.empty()) {
            const std::uint32_t b = work.front();
            work.pop_front();
            queued[b] = 0;
            const BasicBlock& block = cfg_.blocks[b];
            Stack stack = *entry_[b];
            for (std::uint32_t i = block.begin; i < block.end; ++i) {
                if (block.region != kNoRegion) guard_handler_depth(stack, block.region, i);
                const bool last = i + 1 == block.end;
                if (last && block.jump != kNoBlock) {
                    Stack taken = stack;
                    step(taken, i, true);
                    merge_into(block.jump, taken);
                }
                step(stack, i, false);
            }
            if (block.fallthrough != kNoBlock) merge_into(block.fallthrough, stack);
        }
    }

    std::map<std::size_t, Classification>& loads() { return loads_; }

private:
    bool is_tracked_load(std::size_t i, std::string& name) const {
        const Instr& in = list_.instrs[i];
        std::uint32_t index = 0;
        if (in.opcode == op::LOAD_GLOBAL) {
            index = in.arg >> 1;
        } else if (in.opcode == op::LOAD_NAME) {
            index = in.arg;
        } else {
            return false;
        }
        if (index >= code_.names.size()) return false;
        name = code_.names[index];
        return true;
    }

    void record(int value, NameUseKind kind, const std::string& detail, const std::string& attribute = {}) {
        if (value < 0) return;
        const auto tuple = tuples_.find(static_cast<std::size_t>(value));
        if (tuple != tuples_.end()) {
            for (std::size_t member : tuple->second) {
                record(static_cast<int>(member), kind == NameUseKind::class_check ? kind : NameUseKind::unsafe,
                       kind == NameUseKind::class_check ? "" : "in a tuple that is " + detail);
            }
            return;
        }
        Classification& c = loads_[static_cast<std::size_t>(value)];
        if (!attribute.empty() && std::find(c.attributes.begin(), c.attributes.end(), attribute) == c.attributes.end())
            c.attributes.push_back(attribute);
        if (!c.seen || (kind == NameUseKind::unsafe && c.kind != NameUseKind::unsafe)) {
            c.kind = kind;
            c.detail = detail;
            c.seen = true;
        }
    }

    // Values below the try region's depth are still on the stack when its handler runs.
    void guard_handler_depth(const Stack& stack, std::int32_t region, std::uint32_t /*instr*/) {
        const std::size_t depth = list_.regions[static_cast<std::size_t>(region)].depth;
        for (std::size_t k = 0; k < std::min(depth, stack.size()); ++k) {
            record(stack[k], NameUseKind::unsafe, "kept on the stack across an exception handler");
        }
    }

    bool merge(std::uint32_t b, const Stack& incoming) {
        auto& slot = entry_[b];
        if (!slot) {
            slot = incoming;
            return true;
        }
        Stack& current = *slot;
        bool changed = false;
        if (current.size() != incoming.size()) {
            // Inconsistent depths cannot come out of a verified CFG; stay sound regardless.
            for (int v : current) record(v, NameUseKind::unsafe, "on a stack of inconsistent depth");
            for (int v : incoming) record(v, NameUseKind::unsafe, "on a stack of inconsistent depth");
            current.assign(static_cast<std::size_t>(std::max<std::int32_t>(0, cfg_.blocks[b].entry_depth)), kOther);
            return true;
        }
        for (std::size_t k = 0; k < current.size(); ++k) {
            if (current[k] == incoming[k]) continue;
            record(current[k], NameUseKind::unsafe, "merged with another value at a branch");
            record(incoming[k], NameUseKind::unsafe, "merged with another value at a branch");
            const bool both_nullish = (current[k] == kNull || current[k] == kMethodOrNull) &&
                                      (incoming[k] == kNull || incoming[k] == kMethodOrNull);
            const int joined = both_nullish ? kMethodOrNull : kOther;
            if (current[k] != joined) {
                current[k] = joined;
                changed = true;
            }
        }
        return changed;
    }

    std::string name_of(std::uint32_t index) const { return index < code_.names.size() ? code_.names[index] : ""; }

    int pop(Stack& stack) {
        if (stack.empty()) return kOther;
        const int v = stack.back();
        stack.pop_back();
        return v;
    }

    void step(Stack& stack, std::uint32_t i, bool jump) {
        const Instr& in = list_.instrs[i];
        const std::size_t size = stack.size();
        std::string name;
        switch (in.opcode) {
            case op::LOAD_GLOBAL:
            case op::LOAD_NAME: {
                if (in.opcode == op::LOAD_GLOBAL && (in.arg & 1)) stack.push_back(kNull);
                int value = kOther;
                if (is_tracked_load(i, name)) {
                    if (std::find(tracked_.begin(), tracked_.end(), name) != tracked_.end()) {
                        value = static_cast<int>(i);
                        loads_[i];  // a load nothing consumes (it reaches no use) is still listed
                    } else if (builtin_checks_ && (name == "isinstance" || name == "issubclass")) {
                        value = kClassCheckFn;
                    }
                }
                stack.push_back(value);
                return;
            }
            case op::PUSH_NULL: stack.push_back(kNull); return;
            case op::LOAD_ATTR:
                record(pop(stack), NameUseKind::attribute, "", name_of(in.arg));
                stack.push_back(kOther);
                return;
            case op::LOAD_METHOD:
                record(pop(stack), NameUseKind::attribute, "", name_of(in.arg));
                stack.push_back(kMethodOrNull);
                stack.push_back(kOther);
                return;
            case op::COPY: stack.push_back(in.arg >= 1 && in.arg <= size ? stack[size - in.arg] : kOther); return;
            case op::SWAP:
                if (in.arg >= 2 && in.arg <= size) std::swap(stack[size - 1], stack[size - in.arg]);
                return;
            case op::CALL: call(stack, in.arg); return;
            case op::CALL_FUNCTION_EX: {
                if (in.arg & 1) record(pop(stack), NameUseKind::unsafe, "passed as keyword arguments");
                record(pop(stack), NameUseKind::unsafe, "passed as arguments");
                const int callable = pop(stack);
                const int below = pop(stack);
                record(callable, below == kNull ? NameUseKind::callee : NameUseKind::unsafe, "passed as an argument");
                record(below, NameUseKind::unsafe, "used as a callable");
                stack.push_back(kOther);
                return;
            }
            case op::BUILD_TUPLE: {
                std::vector<std::size_t> members;
                for (std::uint32_t k = 0; k < in.arg && !stack.empty(); ++k) {
                    const int v = pop(stack);
                    if (v >= 0) {
                        const auto nested = tuples_.find(static_cast<std::size_t>(v));
                        if (nested != tuples_.end()) {
                            members.insert(members.end(), nested->second.begin(), nested->second.end());
                        } else {
                            members.push_back(static_cast<std::size_t>(v));
                        }
                    }
                }
                if (members.empty()) {
                    stack.push_back(kOther);
                } else {
                    auto& known = tuples_[i];
                    for (std::size_t m : members) {
                        if (std::find(known.begin(), known.end(), m) == known.end()) known.push_back(m);
                    }
                    stack.push_back(static_cast<int>(i));
                }
                return;
            }
            case op::POP_TOP: record(pop(stack), NameUseKind::discarded, ""); return;
            case op::PRECALL:  // pops nothing at run time; CALL takes the arguments (stack_io counts as compile.c)
            case op::KW_NAMES:
            case op::NOP:
            case op::RESUME:
            case op::EXTENDED_ARG:
            case op::CACHE: return;
            default: break;
        }
        // stack_io (opcodes.hpp) counts a value an instruction keeps as popped and pushed again: the
        // value then counts as consumed by it, which can only make a use unsafe.
        int pops = 0, pushes = 0;
        if (auto io = stack_io(in.opcode, in.arg, jump)) {
            pops = io->pops;
            pushes = io->pushes;
        } else {
            // Conservative: one more pop than the net effect, so an unknown consumer of a tracked
            // value counts as unsafe rather than leaving the value on the stack.
            const int effect = stack_effect(in.opcode, in.arg, jump).value_or(0);
            pops = std::max(0, -effect) + 1;
            pushes = pops + effect;
        }
        if (in.opcode == op::JUMP_IF_FALSE_OR_POP || in.opcode == op::JUMP_IF_TRUE_OR_POP) {
            if (!stack.empty()) record(stack.back(), NameUseKind::unsafe, consumed_by(in.opcode));
        }
        pops = std::min<int>(pops, static_cast<int>(stack.size()));
        for (int k = 0; k < pops; ++k) record(pop(stack), NameUseKind::unsafe, consumed_by(in.opcode));
        for (int k = 0; k < std::max(0, pushes); ++k) stack.push_back(kOther);
    }

    // CALL n: [NULL-or-method, callable-or-self, arg1..argn] -> result (ceval.c, 3.11 CALL).
    void call(Stack& stack, std::uint32_t argc) {
        const std::size_t size = stack.size();
        if (size < argc + 2) {
            for (int v : stack) record(v, NameUseKind::unsafe, "passed to a call of unknown shape");
            stack.assign(size >= argc + 1 ? size - argc - 1 : 0, kOther);
            return;
        }
        const int below = stack[size - argc - 2];
        const int callable = stack[size - argc - 1];
        const bool plain_call = below == kNull;
        for (std::uint32_t k = 0; k < argc; ++k) {
            const int arg = stack[size - argc + k];
            const bool second_of_check = plain_call && callable == kClassCheckFn && argc == 2 && k == 1;
            record(arg, second_of_check ? NameUseKind::class_check : NameUseKind::unsafe, "passed as an argument");
        }
        record(callable, plain_call ? NameUseKind::callee : NameUseKind::unsafe, "passed as a method's self");
        record(below, NameUseKind::unsafe, "called as a bound method");
        stack.resize(size - argc - 2);
        stack.push_back(kOther);
    }

    const CodeObject& code_;
    const InstrList& list_;
    const Cfg& cfg_;
    const std::vector<std::string>& tracked_;
    const bool builtin_checks_;
    std::vector<std::optional<Stack>> entry_;
    std::map<std::size_t, Classification> loads_;             // tracked load -> how it is used
    std::map<std::size_t, std::vector<std::size_t>> tuples_;  // BUILD_TUPLE -> tracked loads inside
};

bool is_comprehension(const CodeObject& code) {
    return std::find(kComprehensions.begin(), kComprehensions.end(), code.name) != kComprehensions.end();
}

// Whether the module binds isinstance/issubclass itself (then they are not the builtins): a
// module-level store, or a `global` store in any nested code object.
bool shadows_class_checks(const CodeObject& code, bool is_module) {
    auto decoded = decode_instructions(code);
    if (!decoded) return true;
    for (const Instr& in : decoded->instrs) {
        const bool store = in.opcode == op::STORE_GLOBAL || in.opcode == op::DELETE_GLOBAL ||
                           (is_module && (in.opcode == op::STORE_NAME || in.opcode == op::DELETE_NAME));
        if (store && in.arg < code.names.size() &&
            (code.names[in.arg] == "isinstance" || code.names[in.arg] == "issubclass"))
            return true;
    }
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code && shadows_class_checks(*c.code, false)) return true;
    }
    return false;
}

void walk(const CodeObject& code, bool at_import_time, const std::vector<std::string>& names, bool builtin_checks,
          std::vector<NameUse>& out) {
    auto decoded = decode_instructions(code);
    std::optional<Cfg> cfg;
    if (decoded) {
        auto built = build_cfg(*decoded);
        if (built) cfg = std::move(built).value();
    }
    if (!cfg) {
        const std::string why = decoded ? "its control flow could not be built" : decoded.error().reason;
        for (const std::string& name : names) {
            if (std::find(code.names.begin(), code.names.end(), name) == code.names.end()) continue;
            out.push_back({name, code.qualname, code.firstlineno, NameUseKind::unsafe, at_import_time,
                           "in code that could not be analysed: " + why});
        }
    } else {
        StackInterpreter interpreter(code, *decoded, *cfg, names, builtin_checks);
        interpreter.run();
        for (auto& [index, c] : interpreter.loads()) {
            const Instr& in = decoded->instrs[index];
            const std::uint32_t name_index = in.opcode == op::LOAD_GLOBAL ? in.arg >> 1 : in.arg;
            NameUse use{code.names[name_index], code.qualname, in.position.line, c.kind,
                        at_import_time,         c.detail,      c.attributes};
            if (!c.seen) use.kind = NameUseKind::discarded;
            out.push_back(std::move(use));
        }
    }
    for (const Constant& c : code.consts) {
        if (c.kind != Constant::Kind::code || !c.code) continue;
        const CodeObject& child = *c.code;
        const bool class_body = (child.flags & 0x0002) == 0;  // no CO_NEWLOCALS
        const bool runs_now = at_import_time && (class_body || is_comprehension(child));
        walk(child, runs_now, names, builtin_checks, out);
    }
}

}  // namespace

const char* name_use_kind_name(NameUseKind kind) {
    switch (kind) {
        case NameUseKind::attribute: return "attribute";
        case NameUseKind::callee: return "callee";
        case NameUseKind::class_check: return "class_check";
        case NameUseKind::discarded: return "discarded";
        case NameUseKind::unsafe: return "unsafe";
    }
    return "?";
}

std::vector<NameUse> global_name_uses(const CodeObject& module, const std::vector<std::string>& names) {
    std::vector<NameUse> out;
    if (names.empty()) return out;
    walk(module, true, names, !shadows_class_checks(module, true), out);
    return out;
}

}  // namespace shrinkpy::analyzer
