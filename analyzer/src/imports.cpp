// ====================================================================================================
// Import statements and where the names they bind are read. Rules in imports.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/imports.hpp"

#include <algorithm>

#include "import_statements.hpp"
#include "module_scan.hpp"
#include "opcodes_311.hpp"

namespace shrinkpy::analyzer {
namespace {

// Decide how the value bound by `store` is used.
void classify(ImportFact& fact, const CodeObject& code, bool is_module, const Instr& store_instr,
              std::size_t store_index, const Cfg* cfg, const Liveness* fast_live, const SlotUniverse* fast_slots,
              const detail::ModuleScan& scan) {
    const std::string& name = fact.bound;
    const auto readers = scan.readers.find(name);
    if (readers != scan.readers.end()) fact.readers = readers->second;
    const bool global_store =
        store_instr.opcode == op::STORE_GLOBAL || (is_module && store_instr.opcode == op::STORE_NAME);
    if (store_instr.opcode == op::STORE_DEREF) {
        fact.use = ImportUse::unknown;
        fact.reason = "bound to a cell that nested functions read";
        return;
    }
    if (store_instr.opcode == op::STORE_NAME && !is_module) {
        fact.use = ImportUse::unknown;
        fact.reason = "bound as a class attribute";
        return;
    }
    if (store_instr.opcode == op::STORE_FAST) {
        const SlotAccess a = fast_slots->access(store_instr);
        const bool read = a.slot >= 0 && fast_live->live_after.test(store_index, static_cast<std::size_t>(a.slot));
        fact.readers.clear();
        if (read) fact.readers.push_back(code.qualname);
        fact.use = read ? ImportUse::module_level : ImportUse::never;
        fact.reason = read ? "read by the function that imports it" : "the local it binds is never read";
        (void)cfg;
        return;
    }
    if (global_store && std::find(scan.all.begin(), scan.all.end(), name) != scan.all.end()) {
        fact.use = ImportUse::exported;
        fact.reason = "listed in __all__";
        return;
    }
    bool module_read = false;
    if (is_module) {
        const SlotAccess a = scan.names.access(store_instr);
        module_read = a.slot >= 0 && scan.live.live_after.test(store_index, static_cast<std::size_t>(a.slot));
    } else {
        // `global x; import x` in a function: any module-level load of x may read it.
        for (const Instr& in : scan.instrs->instrs) {
            const SlotAccess a = scan.names.access(in);
            if (a.kind == AccessKind::load && scan.names.names[static_cast<std::size_t>(a.slot)] == name)
                module_read = true;
        }
    }
    if (module_read) {
        fact.use = ImportUse::module_level;
        fact.reason = "read by module-level code";
    } else if (!fact.readers.empty()) {
        fact.use = ImportUse::functions_only;
        fact.reason = "read only inside functions";
    } else if (!scan.dynamic_reasons.empty()) {
        fact.use = ImportUse::unknown;
        fact.reason = "the module reads globals dynamically: " + scan.dynamic_reasons.front();
    } else {
        fact.use = ImportUse::never;
        fact.reason = "no code of the module reads it";
    }
}

Status scan_imports(const CodeObject& code, bool is_module, const detail::ModuleScan& scan,
                    std::vector<ImportFact>& out) {
    std::unique_ptr<InstrList> owned;
    const InstrList* list = nullptr;
    const Cfg* cfg = nullptr;
    std::unique_ptr<Cfg> owned_cfg;
    SlotUniverse fast;
    Liveness fast_live;
    if (is_module) {
        list = scan.instrs.get();
        cfg = scan.cfg.get();
    } else {
        auto decoded = decode_instructions(code);
        if (!decoded) return decoded.error();
        owned = std::make_unique<InstrList>(std::move(decoded).value());
        list = owned.get();
        auto built = build_cfg(*list);
        if (!built) return built.error();
        owned_cfg = std::make_unique<Cfg>(std::move(built).value());
        cfg = owned_cfg.get();
        fast = fast_local_slots(code);
        LivenessOptions options;
        options.deletes_are_uses = false;
        fast_live = compute_liveness(*cfg, fast, options);
    }
    const auto& in = list->instrs;
    for (const detail::ImportStatement& statement : detail::import_statements(code, *list)) {
        const Instr& import_name = in[statement.import_name];
        ImportFact base;
        base.code_qualname = code.qualname;
        base.offset = import_name.origin_bytes();
        base.line = import_name.position.line;
        base.module = statement.module;
        base.level = statement.level;
        base.scope =
            is_module ? ImportScope::module : ((code.flags & 0x0002) ? ImportScope::function : ImportScope::class_body);
        if (statement.star) {
            ImportFact f = base;
            f.imported = "*";
            f.use = ImportUse::unknown;
            f.reason = "star import binds names not known statically";
            out.push_back(f);
            continue;
        }
        for (const detail::ImportBinding& binding : statement.bindings) {
            ImportFact f = base;
            f.imported = binding.imported;
            f.bound = binding.bound;
            f.as_module = binding.as_module;
            classify(f, code, is_module, in[binding.store], binding.store, cfg, &fast_live, &fast, scan);
            out.push_back(f);
        }
    }
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code) {
            if (Status s = scan_imports(*c.code, false, scan, out); !s) return s;
        }
    }
    return Ok{};
}

}  // namespace

const char* scope_name(ImportScope scope) {
    switch (scope) {
        case ImportScope::module: return "module";
        case ImportScope::function: return "function";
        case ImportScope::class_body: return "class";
    }
    return "?";
}

const char* use_name(ImportUse use) {
    switch (use) {
        case ImportUse::never: return "never";
        case ImportUse::functions_only: return "functions_only";
        case ImportUse::module_level: return "module_level";
        case ImportUse::exported: return "exported";
        case ImportUse::unknown: return "unknown";
    }
    return "?";
}

Result<ModuleImports> analyze_imports(const CodeObject& module) {
    auto scan = detail::scan_module(module);
    if (!scan) return scan.error();
    return detail::analyze_imports(module, *scan);
}

Result<ModuleImports> detail::analyze_imports(const CodeObject& module, const ModuleScan& scan) {
    ModuleImports out;
    out.all = scan.all;
    out.all_static = scan.all_static;
    out.dynamic_reasons = scan.dynamic_reasons;
    if (Status s = scan_imports(module, true, scan, out.imports); !s) return s.error();
    return out;
}

Result<ModuleNames> analyze_module_names(const CodeObject& module) {
    auto scan = detail::scan_module(module);
    if (!scan) return scan.error();
    ModuleNames out;
    out.dynamic_reasons = scan->dynamic_reasons;
    const SlotUniverse& names = scan->names;
    std::vector<std::uint8_t> stored(names.size(), 0);
    for (const Instr& in : scan->instrs->instrs) {
        const SlotAccess a = names.access(in);
        if (a.kind == AccessKind::store) stored[static_cast<std::size_t>(a.slot)] = 1;
    }
    const std::vector<LastUse> last = last_uses(*scan->cfg, names, scan->live);
    for (std::size_t slot = 0; slot < names.size(); ++slot) {
        if (!stored[slot]) continue;
        ModuleNameFact f;
        f.name = names.names[slot];
        if (auto r = scan->readers.find(f.name); r != scan->readers.end()) f.read_by = r->second;
        if (auto w = scan->writers.find(f.name); w != scan->writers.end()) f.written_by = w->second;
        f.exported = std::find(scan->all.begin(), scan->all.end(), f.name) != scan->all.end();
        f.module_only = f.read_by.empty() && f.written_by.empty() && !f.exported && scan->dynamic_reasons.empty();
        for (const LastUse& use : last) {
            if (use.slot == slot) f.last_use_lines.push_back(scan->instrs->instrs[use.instr].position.line);
        }
        out.names.push_back(std::move(f));
    }
    return out;
}

}  // namespace shrinkpy::analyzer
