// ====================================================================================================
// The import rewrite pass. Shapes in import_rewrite.hpp; statement shapes in import_statements.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/import_rewrite.hpp"

#include <algorithm>
#include <map>

#include "import_statements.hpp"
#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer {
namespace {

Constant text_constant(Constant::Kind kind, std::string text) {
    Constant c;
    c.kind = kind;
    c.text = std::move(text);
    return c;
}

// (module, attribute or None, level, bound, as_module, where, also_import): deferred_imports.defer's
// arguments.
Constant spec_constant(const ImportDecision& d, const std::string& filename) {
    const ImportFact& f = d.fact;
    Constant spec;
    spec.kind = Constant::Kind::tuple;
    spec.items.push_back(text_constant(Constant::Kind::string, f.module));
    spec.items.push_back(f.imported.empty() ? text_constant(Constant::Kind::none, "None")
                                            : text_constant(Constant::Kind::string, f.imported));
    spec.items.push_back(text_constant(Constant::Kind::integer, std::to_string(f.level)));
    spec.items.push_back(text_constant(Constant::Kind::string, f.bound));
    spec.items.push_back(text_constant(Constant::Kind::boolean, f.as_module ? "True" : "False"));
    spec.items.push_back(text_constant(Constant::Kind::string, filename + ":" + std::to_string(f.line)));
    Constant also;
    also.kind = Constant::Kind::tuple;
    for (const std::string& module : d.also_import) also.items.push_back(text_constant(Constant::Kind::string, module));
    spec.items.push_back(std::move(also));
    return spec;
}

Instr inserted(std::uint8_t opcode, std::uint32_t arg, const Position& position) {
    Instr in;
    in.opcode = opcode;
    in.arg = arg;
    in.position = position;
    return in;
}

}  // namespace

Result<ImportRewrite> rewrite_imports(const CodeObject& module, const ImportPolicy& policy) {
    auto plan = plan_imports(module, policy);
    if (!plan) return plan.error();
    ImportRewrite out;
    out.code = module;
    out.plan = std::move(plan).value();
    if (out.plan.deferred() + out.plan.dropped() == 0) return out;

    auto decoded = decode_instructions(module);
    if (!decoded) return decoded.error();
    InstrList list = std::move(decoded).value();
    std::map<std::uint32_t, std::vector<const ImportDecision*>> by_offset;
    for (const ImportDecision& d : out.plan.decisions) {
        if (d.fact.scope == ImportScope::module) by_offset[d.fact.offset].push_back(&d);
    }

    CodeObject& code = out.code;
    const auto name_index = [&](const std::string& name) {
        auto found = std::find(code.names.begin(), code.names.end(), name);
        if (found != code.names.end()) return static_cast<std::uint32_t>(found - code.names.begin());
        code.names.push_back(name);
        ++out.names_added;
        return static_cast<std::uint32_t>(code.names.size() - 1);
    };
    const auto const_index = [&](Constant c) {
        code.consts.push_back(std::move(c));
        ++out.consts_added;
        return static_cast<std::uint32_t>(code.consts.size() - 1);
    };

    // Back to front, so the indices of statements not yet visited stay valid.
    std::vector<detail::ImportStatement> statements = detail::import_statements(module, list);
    for (auto s = statements.rbegin(); s != statements.rend(); ++s) {
        const auto decisions = by_offset.find(list.instrs[s->import_name].origin_bytes());
        if (decisions == by_offset.end()) continue;
        const bool any_change = std::any_of(
            decisions->second.begin(), decisions->second.end(),
            [](const ImportDecision* d) { return d->action != ImportAction::keep || !d->also_import.empty(); });
        if (!any_change) continue;
        if (!s->canonical || decisions->second.size() != s->bindings.size()) {
            return make_error(Section::code, list.instrs[s->import_name].origin_bytes(), op::IMPORT_NAME,
                              "the plan changes an import statement the rewriter cannot parse");
        }
        const Position at = list.instrs[s->import_name].position;
        std::vector<Instr> replacement;
        for (std::size_t b = 0; b < s->bindings.size(); ++b) {
            const ImportDecision& d = *decisions->second[b];
            if (d.action != ImportAction::defer) continue;
            const std::uint32_t spec = const_index(spec_constant(d, module.filename));
            replacement.push_back(inserted(op::PUSH_NULL, 0, at));
            replacement.push_back(inserted(op::LOAD_NAME, name_index(kDeferFunction), at));
            replacement.push_back(inserted(op::LOAD_CONST, spec, at));
            replacement.push_back(inserted(op::CALL_FUNCTION_EX, 0, at));
            Instr store = list.instrs[s->bindings[b].store];
            store.origin = kInserted;
            store.label = kNoLabel;
            replacement.push_back(store);
        }
        if (replacement.empty()) replacement.push_back(inserted(op::NOP, 0, at));
        replacement.front().label = list.instrs[s->begin].label;
        const auto first = list.instrs.begin() + static_cast<std::ptrdiff_t>(s->begin);
        list.instrs.erase(first, list.instrs.begin() + static_cast<std::ptrdiff_t>(s->end));
        list.instrs.insert(list.instrs.begin() + static_cast<std::ptrdiff_t>(s->begin), replacement.begin(),
                           replacement.end());
    }
    if (Status v = list.verify(); !v) return v.error();
    auto cfg = build_cfg(list);
    if (!cfg) return cfg.error();
    auto assembled = assemble(list);
    if (!assembled) return assembled.error();
    code.code = std::move(assembled->code);
    code.exceptiontable = std::move(assembled->exceptiontable);
    code.linetable = std::move(assembled->linetable);
    code.stacksize = std::max(code.stacksize, cfg->max_depth);
    out.changed = true;
    return out;
}

}  // namespace shrinkpy::analyzer
