// ====================================================================================================
// The module scan behind imports.hpp: who reads which global, dynamic access, __all__.
// ====================================================================================================
#include "module_scan.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "opcodes_311.hpp"

namespace shrinkpy::analyzer::detail {
namespace {

// Loads of these names let code read module globals without a LOAD_GLOBAL naming them.
constexpr std::array<std::string_view, 5> kDynamicBuiltins = {"globals", "vars", "eval", "exec", "__import__"};
constexpr std::array<std::string_view, 3> kDynamicAttributes = {"_getframe", "f_globals", "currentframe"};

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Strings of a static __all__ assignment ending at instruction `store` (see imports.hpp), or
// false when the value is built some other way.
bool static_all_value(const CodeObject& code, const InstrList& list, std::size_t store, std::vector<std::string>& out) {
    const auto const_strings = [&](std::uint32_t index, std::vector<std::string>& dst) {
        if (index >= code.consts.size()) return false;
        const Constant& c = code.consts[index];
        if (c.kind == Constant::Kind::string) {
            dst.push_back(c.text);
            return true;
        }
        if (c.kind != Constant::Kind::tuple) return false;
        for (const Constant& item : c.items) {
            if (item.kind != Constant::Kind::string) return false;
            dst.push_back(item.text);
        }
        return true;
    };
    if (store < 1) return false;
    const Instr& prev = list.instrs[store - 1];
    if (prev.opcode == op::LOAD_CONST) return const_strings(prev.arg, out);
    if (prev.opcode == op::LIST_EXTEND && store >= 3 && list.instrs[store - 2].opcode == op::LOAD_CONST &&
        list.instrs[store - 3].opcode == op::BUILD_LIST && list.instrs[store - 3].arg == 0) {
        return const_strings(list.instrs[store - 2].arg, out);
    }
    if ((prev.opcode == op::BUILD_LIST || prev.opcode == op::BUILD_TUPLE) && store >= 1 + prev.arg) {
        for (std::size_t k = store - 1 - prev.arg; k < store - 1; ++k) {
            const Instr& item = list.instrs[k];
            if (item.opcode != op::LOAD_CONST || item.arg >= code.consts.size() ||
                code.consts[item.arg].kind != Constant::Kind::string)
                return false;
            out.push_back(code.consts[item.arg].text);
        }
        return true;
    }
    return false;
}

Status scan_nested(const CodeObject& code, bool is_module, ModuleScan& scan) {
    auto decoded = decode_instructions(code);
    if (!decoded) {
        add_unique(scan.dynamic_reasons, code.qualname + " could not be decoded: " + decoded.error().reason);
        return Ok{};
    }
    const InstrList& list = *decoded;
    // Class bodies run without CO_NEWLOCALS and read globals with LOAD_NAME.
    const bool class_body = !is_module && (code.flags & 0x0002) == 0;
    const auto name_at = [&](std::uint32_t i) -> std::string {
        return i < code.names.size() ? code.names[i] : std::string();
    };
    for (std::size_t i = 0; i < list.instrs.size(); ++i) {
        const Instr& in = list.instrs[i];
        std::string name;
        bool read = false, write = false;
        switch (in.opcode) {
            case op::LOAD_GLOBAL:
                name = name_at(in.arg >> 1);
                read = true;
                break;
            case op::LOAD_NAME:
                name = name_at(in.arg);
                read = true;
                break;
            case op::STORE_GLOBAL:
            case op::DELETE_GLOBAL:
                name = name_at(in.arg);
                write = true;
                break;
            case op::LOAD_ATTR:
            case op::LOAD_METHOD: {
                const std::string attr = name_at(in.arg);
                if (std::find(kDynamicAttributes.begin(), kDynamicAttributes.end(), attr) != kDynamicAttributes.end()) {
                    add_unique(scan.dynamic_reasons, code.qualname + " reads ." + attr);
                }
                if (is_module && i > 0 && list.instrs[i - 1].opcode == op::LOAD_NAME &&
                    name_at(list.instrs[i - 1].arg) == "__all__") {
                    scan.all_static = false;  // __all__.extend(...), __all__.append(...)
                }
                continue;
            }
            case op::STORE_NAME:
                if (is_module && name_at(in.arg) == "__all__") {
                    scan.has_all = true;
                    std::vector<std::string> value;
                    if (static_all_value(code, list, i, value)) {
                        scan.all = value;
                    } else {
                        scan.all_static = false;
                    }
                }
                continue;
            default: continue;
        }
        // vars(obj) reads obj's attributes; only vars() with no argument reads the caller's names.
        const bool vars_of_object = name == "vars" && i + 1 < list.instrs.size() &&
                                    !(list.instrs[i + 1].opcode == op::PRECALL && list.instrs[i + 1].arg == 0);
        if (read && !vars_of_object &&
            std::find(kDynamicBuiltins.begin(), kDynamicBuiltins.end(), name) != kDynamicBuiltins.end()) {
            add_unique(scan.dynamic_reasons, code.qualname + " calls " + name + "()");
        }
        if (read && is_module && name == "locals") add_unique(scan.dynamic_reasons, "module code calls locals()");
        if (is_module) continue;
        if (in.opcode == op::LOAD_NAME && !class_body) continue;  // a nested module-like code object
        if (read) add_unique(scan.readers[name], code.qualname);
        if (write) add_unique(scan.writers[name], code.qualname);
    }
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code) {
            if (Status s = scan_nested(*c.code, false, scan); !s) return s;
        }
    }
    return Ok{};
}

}  // namespace

Result<ModuleScan> scan_module(const CodeObject& module) {
    ModuleScan scan;
    auto decoded = decode_instructions(module);
    if (!decoded) return decoded.error();
    scan.instrs = std::make_unique<InstrList>(std::move(decoded).value());
    auto cfg = build_cfg(*scan.instrs);
    if (!cfg) return cfg.error();
    scan.cfg = std::make_unique<Cfg>(std::move(cfg).value());
    scan.names = name_slots(module);
    LivenessOptions options;
    options.deletes_are_uses = false;
    scan.live = compute_liveness(*scan.cfg, scan.names, options);
    if (Status s = scan_nested(module, true, scan); !s) return s.error();
    if (scan.has_all && !scan.all_static) add_unique(scan.dynamic_reasons, "__all__ is computed at run time");
    return scan;
}

}  // namespace shrinkpy::analyzer::detail
