// ====================================================================================================
// The import plan: a verdict and its reason for every import binding. Rules in import_plan.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/import_plan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "import_statements.hpp"
#include "module_scan.hpp"
#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/eager_modules.hpp"
#include "shrinkpy/analyzer/name_uses.hpp"

namespace shrinkpy::analyzer {
namespace {

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

bool ends_statement(std::uint8_t opcode) {
    switch (opcode) {
        case op::STORE_NAME:
        case op::STORE_GLOBAL:
        case op::STORE_FAST:
        case op::STORE_DEREF:
        case op::STORE_ATTR:
        case op::STORE_SUBSCR:
        case op::POP_TOP:
        case op::RESUME:
        case op::IMPORT_STAR: return true;
        default: return false;
    }
}

// Names a code tree could hand to typing.get_type_hints as strings: the string constants loaded
// by the statement that builds a function's annotations (MAKE_FUNCTION with annotations; under
// `from __future__ import annotations` one constant tuple) or stores a variable annotation
// (`... ; LOAD_NAME __annotations__; LOAD_CONST name; STORE_SUBSCR`), from the end of the
// previous statement on. Defaults of the same `def` are included too: a string default that
// looks like a type only keeps an import eager.
void collect_annotation_names(const CodeObject& code, std::set<std::string>& out) {
    if (auto list = decode_instructions(code)) {
        const auto& in = list->instrs;
        const auto take = [&](const Constant& c) {
            if (c.kind != Constant::Kind::string) return;
            for (std::string& name : annotation_identifiers(c.text)) out.insert(std::move(name));
        };
        for (std::size_t k = 0; k < in.size(); ++k) {
            const bool function = in[k].opcode == op::MAKE_FUNCTION && (in[k].arg & 0x04);
            const bool variable = in[k].opcode == op::LOAD_NAME && in[k].arg < code.names.size() &&
                                  code.names[in[k].arg] == "__annotations__";
            if (!function && !variable) continue;
            for (std::size_t j = k; j-- > 0 && !ends_statement(in[j].opcode);) {
                if (in[j].opcode != op::LOAD_CONST || in[j].arg >= code.consts.size()) continue;
                const Constant& c = code.consts[in[j].arg];
                take(c);
                if (c.kind == Constant::Kind::tuple) std::for_each(c.items.begin(), c.items.end(), take);
            }
        }
    }
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code) collect_annotation_names(*c.code, out);
    }
}

std::string join(const std::vector<std::string>& items, std::size_t limit = 3) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
    if (items.size() > limit) out += ", ...";
    return out;
}

std::string where(const NameUse& use) {
    return "line " + std::to_string(use.line) + (use.code_qualname == "<module>" ? "" : " in " + use.code_qualname);
}

int use_rank(ImportUse use) {
    switch (use) {
        case ImportUse::never: return 0;
        case ImportUse::functions_only: return 1;
        default: return 2;
    }
}

class Planner {
public:
    Planner(const CodeObject& module, const ImportPolicy& policy, const detail::ModuleScan& scan)
        : module_(module), policy_(policy), scan_(scan) {}

    Result<ImportPlan> run() {
        auto imports = detail::analyze_imports(module_, scan_);
        if (!imports) return imports.error();
        for (const detail::ImportStatement& s : detail::import_statements(module_, *scan_.instrs)) {
            statements_[scan_.instrs->instrs[s.import_name].origin_bytes()] = s;
        }
        std::vector<std::string> names;
        for (const ImportFact& f : imports->imports) {
            if (f.scope == ImportScope::module && !f.bound.empty()) names.push_back(f.bound);
        }
        for (NameUse& use : global_name_uses(module_, names)) uses_[use.name].push_back(std::move(use));
        collect_annotation_names(module_, annotation_names_);
        for (const Instr& in : scan_.instrs->instrs) {
            if (in.opcode == op::STORE_NAME && in.arg < module_.names.size() && module_.names[in.arg] == "__getattr__")
                defines_getattr_ = true;
        }

        ImportPlan plan;
        for (const ImportFact& f : imports->imports) plan.decisions.push_back({f, ImportAction::keep, ""});
        const std::vector<ImportUse> effective = effective_uses(plan);
        for (std::size_t i = 0; i < plan.decisions.size(); ++i) decide(plan.decisions[i], effective[i]);
        probe(plan);
        consolidate(plan);
        add_implicit_submodules(plan);
        return plan;
    }

private:
    const detail::ImportStatement* statement_of(const ImportFact& f) const {
        auto it = statements_.find(f.offset);
        return it == statements_.end() ? nullptr : &it->second;
    }

    // `import a.b; import a.c`: both bind `a`; the first is overwritten before any read, yet the
    // second's readers rely on it (a.b.x). Plain imports binding the same package name, and no
    // other module-level store of it, count as one: each gets the strongest use of the group.
    std::vector<ImportUse> effective_uses(const ImportPlan& plan) {
        std::vector<ImportUse> out;
        std::map<std::string, std::vector<std::size_t>> groups;
        for (std::size_t i = 0; i < plan.decisions.size(); ++i) {
            const ImportFact& f = plan.decisions[i].fact;
            out.push_back(f.use);
            if (f.scope == ImportScope::module && f.imported.empty() && !f.as_module && !f.bound.empty())
                groups[f.bound].push_back(i);
        }
        for (auto& [name, members] : groups) {
            if (members.size() < 2 || has_other_store(name, plan, members)) continue;
            ImportUse strongest = ImportUse::never;
            for (std::size_t m : members) {
                if (use_rank(out[m]) > use_rank(strongest)) strongest = out[m];
            }
            for (std::size_t m : members) {
                if (out[m] == ImportUse::never) out[m] = strongest;
                group_of_[m] = members;
            }
        }
        return out;
    }

    bool has_other_store(const std::string& name, const ImportPlan& plan, const std::vector<std::size_t>& members) {
        std::set<std::size_t> member_stores;
        for (std::size_t m : members) {
            const detail::ImportStatement* s = statement_of(plan.decisions[m].fact);
            if (s == nullptr) return true;
            for (const detail::ImportBinding& b : s->bindings) member_stores.insert(b.store);
        }
        const auto& in = scan_.instrs->instrs;
        for (std::size_t i = 0; i < in.size(); ++i) {
            const bool store = in[i].opcode == op::STORE_NAME || in[i].opcode == op::DELETE_NAME ||
                               in[i].opcode == op::STORE_GLOBAL || in[i].opcode == op::DELETE_GLOBAL;
            if (store && in[i].arg < module_.names.size() && module_.names[in[i].arg] == name &&
                !member_stores.count(i))
                return true;
        }
        return scan_.writers.count(name) > 0;
    }

    void decide(ImportDecision& d, ImportUse use) {
        const ImportFact& f = d.fact;
        const auto keep = [&](std::string reason) {
            d.action = ImportAction::keep;
            d.reason = std::move(reason);
        };
        if (policy_.mode == ImportMode::off) return keep("SHRINKPY_IMPORTS=off");
        if (f.scope != ImportScope::module) return keep("not at module level: runs only when its code runs");
        if (f.imported == "*") return keep("star import: the names it binds are not known statically");
        if (use == ImportUse::module_level) return keep("read by module-level code");
        if (use == ImportUse::exported) return keep("listed in __all__");
        if (use == ImportUse::unknown) return keep(f.reason);
        const std::string absolute = f.level == 0 ? f.module : std::string();
        if (const EagerModule* e = absolute.empty() ? nullptr : find_eager_module(absolute)) {
            return keep(std::string(e->name) + " stays eager: " + std::string(e->reason));
        }
        if (std::find(policy_.eager_lines.begin(), policy_.eager_lines.end(), f.line) != policy_.eager_lines.end())
            return keep("marked `# shrinkpy: eager`");
        for (const std::string& marked : policy_.eager_modules) {
            if (module_within(f.module, marked)) return keep("marked eager by the user (" + marked + ")");
        }
        const detail::ImportStatement* s = statement_of(f);
        if (s == nullptr || !s->canonical) return keep("not in a shape the compiler emits");
        const auto& in = scan_.instrs->instrs;
        for (std::size_t i = s->begin; i < s->end; ++i) {
            if (in[i].region != kNoRegion)
                return keep("inside a try or with block: its ImportError or effects are handled where it is written");
            if (i > s->begin && in[i].label != kNoLabel) return keep("a jump lands inside the statement");
        }
        if (!scan_.dynamic_reasons.empty())
            return keep("the module reads its globals dynamically: " + scan_.dynamic_reasons.front());
        if (defines_getattr_)
            return keep("the module defines __getattr__ (PEP 562): other modules reach its globals by name");
        if (!policy_.is_main && !(scan_.has_all && scan_.all_static) && f.bound.rfind('_', 0) != 0) {
            return keep("public name of a module without a static __all__: a star import of it would copy the proxy");
        }
        if (!policy_.is_main) {
            if (const std::string sub = loaded_submodule(f); !sub.empty())
                return keep("loads the submodule " + sub + ", which other modules may read as an attribute of its " +
                            "package without importing it");
        }
        if (annotation_names_.count(f.bound))
            return keep("named in a string annotation: typing.get_type_hints evaluates it in the module's globals");
        if (use == ImportUse::never) {
            if (policy_.mode == ImportMode::drop) {
                d.action = ImportAction::drop;
                d.reason = "never read";
                return;
            }
            return keep("never read: kept for its effects (SHRINKPY_IMPORTS=drop removes it)");
        }
        // functions_only: every read must be one the proxy reproduces, after the import ran.
        if (auto w = scan_.writers.find(f.bound); w != scan_.writers.end())
            return keep("rebound by `global` in " + join(w->second));
        const auto found = uses_.find(f.bound);
        std::vector<std::string> readers;
        if (found != uses_.end()) {
            for (const NameUse& use_site : found->second) {
                if (use_site.at_import_time)
                    return keep("read while the module is imported, " + where(use_site) + ": deferring saves nothing");
                const std::string& q = use_site.code_qualname;
                if (q == "__del__" || (q.size() > 8 && q.compare(q.size() - 8, 8, ".__del__") == 0))
                    return keep("read in " + q +
                                ", which can run while the interpreter shuts down, when nothing "
                                "can be imported any more");
                if (use_site.kind == NameUseKind::unsafe)
                    return keep("at " + where(use_site) + " it is " + use_site.detail +
                                ": a proxy would be seen instead of the object");
                if (std::find(readers.begin(), readers.end(), use_site.code_qualname) == readers.end())
                    readers.push_back(use_site.code_qualname);
            }
        }
        d.action = ImportAction::defer;
        d.reason = readers.empty()
                       ? "read only inside functions"
                       : "read only inside functions (" + join(readers) + "), as attribute base, callee or class check";
    }

    // The submodule an import loads as a side effect on its package's attributes, or "": `import
    // a.b`, `from a.b import c`, `from . import x` when x is a submodule, `from .m import y`.
    std::string loaded_submodule(const ImportFact& f) const {
        const std::string base = std::string(static_cast<std::size_t>(f.level), '.') + f.module;
        if (f.level > 0 && !f.module.empty()) return base;
        if (f.level == 0 && f.module.find('.') != std::string::npos) return base;
        if (!f.imported.empty() && f.imported != "*") {
            if (f.level > 0) return base + f.imported;  // `from . import x`: x may be a submodule
            if (policy_.is_submodule && policy_.is_submodule(f.module + "." + f.imported))
                return f.module + "." + f.imported;
        }
        return "";
    }

    void probe(ImportPlan& plan) {
        if (!policy_.probe) return;
        std::map<std::tuple<std::string, std::int32_t, std::string>, std::string> answers;
        for (ImportDecision& d : plan.decisions) {
            if (d.action == ImportAction::keep) continue;
            const auto key = std::tuple{d.fact.module, d.fact.level, d.fact.imported};
            auto it = answers.find(key);
            if (it == answers.end()) it = answers.emplace(key, policy_.probe(d.fact)).first;
            if (!it->second.empty()) {
                d.action = ImportAction::keep;
                d.reason = it->second;
            }
        }
    }

    // `import urllib` then `urllib.parse.x` with no `import urllib.parse`: the attribute exists only
    // once some import loaded the submodule, and deferring an import could postpone that. A
    // deferred binding takes the submodule import on itself (chained into its proxy, so it happens
    // at first use). An eager one cannot: importing the submodule right after the statement would
    // change the order of imports, which breaks import cycles (numpy/lib/nanfunctions.py reads
    // np.ma while numpy is still initialising); then every import of the module stays as written.
    void add_implicit_submodules(ImportPlan& plan) {
        if (!policy_.is_submodule || policy_.mode == ImportMode::off) return;
        std::set<std::string> explicit_modules;  // what the module's own imports load
        for (const ImportDecision& d : plan.decisions) {
            if (d.fact.level != 0) continue;
            std::string name = d.fact.module;
            if (!d.fact.imported.empty() && d.fact.imported != "*") name += "." + d.fact.imported;
            for (std::size_t dot = name.find('.');; dot = name.find('.', dot + 1)) {
                explicit_modules.insert(name.substr(0, dot));  // importing a.b.c loads a and a.b too
                if (dot == std::string::npos) break;
            }
        }
        std::string hold;  // why every import stays as written, when a reliance cannot be carried
        for (ImportDecision& d : plan.decisions) {
            const ImportFact& f = d.fact;
            if (f.scope != ImportScope::module || f.level != 0 || f.bound.empty() || f.imported == "*") continue;
            // What the bound name is: `import a.b` binds a; `import a.b as c`, a.b; `from a import b`, a.b
            // (a submodule only when a.b is a package: is_submodule(a.b.x) says no otherwise).
            const std::string top = f.module.substr(0, f.module.find('.'));
            const std::string package = !f.imported.empty()                ? f.module + "." + f.imported
                                        : (f.bound == top && !f.as_module) ? top
                                                                           : f.module;
            const auto found = uses_.find(f.bound);
            if (found == uses_.end()) continue;
            for (const NameUse& use : found->second) {
                for (const std::string& attribute : use.attributes) {
                    const std::string dotted = package + "." + attribute;
                    if (explicit_modules.count(dotted) || !policy_.is_submodule(dotted)) continue;
                    explicit_modules.insert(dotted);
                    if (d.action == ImportAction::defer) {
                        d.also_import.push_back(dotted);
                    } else if (hold.empty()) {
                        hold = "the module reads " + dotted + " (" + where(use) +
                               ") without importing it: it relies on another import having loaded it, so its imports "
                               "stay as written";
                    }
                }
            }
        }
        if (hold.empty()) return;
        for (ImportDecision& d : plan.decisions) {
            d.also_import.clear();
            if (d.action == ImportAction::keep) continue;
            d.action = ImportAction::keep;
            d.reason = hold;
        }
    }

    // A statement, and a group of plain imports of one package, change together or not at all.
    void consolidate(ImportPlan& plan) {
        std::map<std::uint32_t, std::vector<std::size_t>> by_statement;
        for (std::size_t i = 0; i < plan.decisions.size(); ++i) {
            const ImportFact& f = plan.decisions[i].fact;
            if (f.scope == ImportScope::module) by_statement[f.offset].push_back(i);
        }
        const auto hold = [&](const std::vector<std::size_t>& members, const std::string& why_prefix) {
            const ImportDecision* eager = nullptr;
            for (std::size_t m : members) {
                if (plan.decisions[m].action == ImportAction::keep) eager = &plan.decisions[m];
            }
            if (eager == nullptr) return;
            const std::string why = why_prefix + " line " + std::to_string(eager->fact.line) + " (" +
                                    (eager->fact.bound.empty() ? eager->fact.imported : eager->fact.bound) +
                                    "), which stays eager";
            for (std::size_t m : members) {
                if (plan.decisions[m].action != ImportAction::keep) {
                    plan.decisions[m].action = ImportAction::keep;
                    plan.decisions[m].reason = why;
                }
            }
        };
        for (auto& [offset, members] : by_statement) hold(members, "imported by the same statement as");
        for (auto& [index, members] : group_of_) hold(members, "binds the same package name as");
    }

    const CodeObject& module_;
    const ImportPolicy& policy_;
    const detail::ModuleScan& scan_;
    std::map<std::uint32_t, detail::ImportStatement> statements_;  // IMPORT_NAME byte offset -> statement
    std::map<std::string, std::vector<NameUse>> uses_;
    std::set<std::string> annotation_names_;
    std::map<std::size_t, std::vector<std::size_t>> group_of_;  // decision -> its plain-import group
    bool defines_getattr_ = false;
};

}  // namespace

const char* import_mode_name(ImportMode mode) {
    switch (mode) {
        case ImportMode::off: return "off";
        case ImportMode::defer: return "defer";
        case ImportMode::drop: return "drop";
    }
    return "?";
}

const char* import_action_name(ImportAction action) {
    switch (action) {
        case ImportAction::keep: return "keep";
        case ImportAction::defer: return "defer";
        case ImportAction::drop: return "drop";
    }
    return "?";
}

std::optional<ImportMode> parse_import_mode(std::string_view text) {
    if (text == "off") return ImportMode::off;
    if (text == "defer") return ImportMode::defer;
    if (text == "drop") return ImportMode::drop;
    return std::nullopt;
}

std::size_t ImportPlan::deferred() const {
    return static_cast<std::size_t>(std::count_if(decisions.begin(), decisions.end(),
                                                  [](const auto& d) { return d.action == ImportAction::defer; }));
}

std::size_t ImportPlan::dropped() const {
    return static_cast<std::size_t>(std::count_if(decisions.begin(), decisions.end(),
                                                  [](const auto& d) { return d.action == ImportAction::drop; }));
}

// A type expression is identifiers joined by `.`, `[`, `]`, `,`, `|` (spaces around them allowed,
// quotes of nested forward references too); two identifiers separated only by spaces are prose.
std::vector<std::string> annotation_identifiers(std::string_view text) {
    std::vector<std::string> out;
    if (text.empty() || text.size() > 200) return {};
    bool after_identifier = false, after_dot = false, space_since = false;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (ident_start(c)) {
            if (after_identifier && space_since) return {};
            std::size_t j = i;
            while (j < text.size() && ident_char(text[j])) ++j;
            if (!after_dot) out.emplace_back(text.substr(i, j - i));
            after_identifier = true;
            after_dot = space_since = false;
            i = j;
            continue;
        }
        if (c == ' ') {
            space_since = true;
        } else if (c == '.' || c == '[' || c == ']' || c == ',' || c == '|' || c == '\'' || c == '"') {
            after_identifier = false;
            after_dot = c == '.';
            space_since = false;
        } else {
            return {};
        }
        ++i;
    }
    return out;
}

Result<ImportPlan> plan_imports(const CodeObject& module, const ImportPolicy& policy) {
    auto scan = detail::scan_module(module);
    if (!scan) return scan.error();
    return Planner(module, policy, *scan).run();
}

}  // namespace shrinkpy::analyzer
