// ====================================================================================================
// The analysis driver and the frame-observer scan.
// ====================================================================================================
#include "shrinkpy/analyzer/analysis.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

// Builtins whose call reads the calling frame's locals (or runs code that can).
constexpr std::array<std::string_view, 6> kFrameBuiltins = {"locals", "vars", "eval", "exec", "breakpoint", "dir"};
// Attributes that reach frames: sys._getframe, inspect.currentframe/stack/trace/getouterframes,
// frame.f_locals/f_back, traceback.tb_frame, exception.__traceback__, sys.exc_info()[2].
constexpr std::array<std::string_view, 11> kFrameAttributes = {"_getframe",      "currentframe",   "stack",    "trace",
                                                               "getouterframes", "getinnerframes", "f_locals", "f_back",
                                                               "tb_frame",       "__traceback__",  "exc_info"};

Status run_validators(const CodeAnalysis& a) {
    if (Status s = a.instrs->verify(); !s) return s;
    if (Status s = a.cfg->verify(); !s) return s;
    if (Status s = verify_liveness(*a.cfg, a.locals, a.live); !s) return s;
    return verify_boundness(*a.cfg, a.locals, a.bound);
}

}  // namespace

std::vector<Observer> frame_observers(const CodeObject& code, const InstrList& instrs) {
    std::vector<Observer> reasons;
    const auto add = [&](std::string rule, std::string reason) {
        for (const Observer& o : reasons) {
            if (o.reason == reason) return;
        }
        reasons.push_back(Observer{std::move(rule), std::move(reason)});
    };
    const auto name_at = [&](std::uint32_t index) -> std::string_view {
        return index < code.names.size() ? std::string_view(code.names[index]) : std::string_view();
    };
    const bool class_cell = std::find(code.localsplus_names.begin(), code.localsplus_names.end(), "__class__") !=
                            code.localsplus_names.end();
    // `stack` and `trace` are also numpy's and many classes' attributes: frames only through inspect.
    const auto ambiguous = [](std::string_view n) { return n == "stack" || n == "trace"; };
    const auto receiver_is_inspect = [&](std::size_t i) {
        if (i == 0) return false;
        const Instr& prev = instrs.instrs[i - 1];
        const std::uint32_t index = prev.opcode == op::LOAD_GLOBAL ? prev.arg >> 1 : prev.arg;
        if (prev.opcode == op::LOAD_GLOBAL || prev.opcode == op::LOAD_NAME) return name_at(index) == "inspect";
        if (prev.opcode == op::LOAD_FAST || prev.opcode == op::LOAD_DEREF)
            return index < code.localsplus_names.size() && code.localsplus_names[index] == "inspect";
        return false;
    };
    for (std::size_t i = 0; i < instrs.instrs.size(); ++i) {
        const Instr& in = instrs.instrs[i];
        std::string_view name;
        bool attribute = false;
        switch (in.opcode) {
            case op::LOAD_GLOBAL: name = name_at(in.arg >> 1); break;
            case op::LOAD_NAME: name = name_at(in.arg); break;
            case op::LOAD_ATTR:
            case op::LOAD_METHOD:
            case op::IMPORT_FROM:
                name = name_at(in.arg);
                attribute = true;
                break;
            default: continue;
        }
        if (!attribute && std::find(kFrameBuiltins.begin(), kFrameBuiltins.end(), name) != kFrameBuiltins.end()) {
            add(std::string(name), "calls " + std::string(name) + "()");
        } else if (attribute &&
                   std::find(kFrameAttributes.begin(), kFrameAttributes.end(), name) != kFrameAttributes.end() &&
                   (!ambiguous(name) || receiver_is_inspect(i))) {
            const std::string rule = name == "_getframe"      ? "getframe"
                                     : name == "currentframe" ? "currentframe"
                                                              : "frames";
            add(rule, "reads frames through ." + std::string(name));
        } else if (!attribute && name == "super" && class_cell) {
            // Zero-argument super() reads argument 0 through the frame (super_init_without_args in
            // Objects/typeobject.c); deleting it makes super() raise "arg[0] deleted".
            add("super", "zero-argument super() reads argument 0 from the frame");
        }
    }
    return reasons;
}

CodeAnalysis analyze_code(const CodeObject& code, AnalyzeOptions options) {
    CodeAnalysis a;
    a.code = &code;
    if (options.recursive) {
        for (const Constant& c : code.consts) {
            if (c.kind == Constant::Kind::code && c.code) a.children.push_back(analyze_code(*c.code, options));
        }
    }
    if (code.localsplus_kinds.size() != code.localsplus_names.size()) {
        a.error = make_error(Section::metadata, -1, -1, "localsplus names and kinds differ in length");
        return a;
    }
    auto instrs = decode_instructions(code);
    if (!instrs) {
        a.error = instrs.error();
        return a;
    }
    a.instrs = std::make_unique<InstrList>(std::move(instrs).value());
    for (const Instr& in : a.instrs->instrs) {
        const OperandKind kind = operand_kind(in.opcode);
        const std::size_t limit = kind == OperandKind::local || kind == OperandKind::free ? code.localsplus_names.size()
                                  : kind == OperandKind::name                             ? code.names.size()
                                  : kind == OperandKind::constant                         ? code.consts.size()
                                                                                          : SIZE_MAX;
        const std::uint32_t index = in.opcode == op::LOAD_GLOBAL ? in.arg >> 1 : in.arg;
        if (index >= limit) {
            a.error = make_error(
                Section::code, in.origin_bytes(), in.opcode,
                "oparg " + std::to_string(in.arg) + " is out of range (" + std::to_string(limit) + " entries)");
            return a;
        }
    }
    auto cfg = build_cfg(*a.instrs);
    if (!cfg) {
        a.error = cfg.error();
        return a;
    }
    a.cfg = std::make_unique<Cfg>(std::move(cfg).value());
    a.locals = fast_local_slots(code);
    a.live = compute_liveness(*a.cfg, a.locals);
    a.bound = compute_boundness(*a.cfg, a.locals);
    a.last_uses = last_uses(*a.cfg, a.locals, a.live);
    a.entry_deaths = entry_deaths(*a.cfg, a.live, a.bound);
    a.observers = frame_observers(code, *a.instrs);
    if (options.validate) {
        if (Status s = run_validators(a); !s) a.error = s.error();
    }
    return a;
}

AnalysisTotals totals(const CodeAnalysis& analysis) {
    AnalysisTotals t;
    t.code_objects = 1;
    t.failed = analysis.error ? 1 : 0;
    if (analysis.instrs) t.instructions = analysis.instrs->instrs.size();
    if (analysis.cfg) t.blocks = analysis.cfg->blocks.size();
    t.last_uses = analysis.last_uses.size();
    for (const CodeAnalysis& child : analysis.children) {
        const AnalysisTotals c = totals(child);
        t.code_objects += c.code_objects;
        t.failed += c.failed;
        t.instructions += c.instructions;
        t.blocks += c.blocks;
        t.last_uses += c.last_uses;
    }
    return t;
}

}  // namespace shrinkpy::analyzer
