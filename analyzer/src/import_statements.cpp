// ====================================================================================================
// Import statements as instruction ranges. Shapes in import_statements.hpp.
// ====================================================================================================
#include "import_statements.hpp"

#include <cstdlib>

#include "opcodes_311.hpp"

namespace shrinkpy::analyzer::detail {
namespace {

bool is_store(std::uint8_t opcode) {
    return opcode == op::STORE_NAME || opcode == op::STORE_GLOBAL || opcode == op::STORE_FAST ||
           opcode == op::STORE_DEREF;
}

std::string stored_name(const CodeObject& code, const Instr& in) {
    const auto& table =
        (in.opcode == op::STORE_FAST || in.opcode == op::STORE_DEREF) ? code.localsplus_names : code.names;
    return in.arg < table.size() ? table[in.arg] : std::string();
}

const Constant* constant(const CodeObject& code, const Instr& in) {
    return in.opcode == op::LOAD_CONST && in.arg < code.consts.size() ? &code.consts[in.arg] : nullptr;
}

// `import a.b` / `import a.b.c as d`, from the instruction after IMPORT_NAME.
void parse_plain(const CodeObject& code, const std::vector<Instr>& in, ImportStatement& s) {
    std::size_t j = s.import_name + 1;
    std::size_t hops = 0;  // IMPORT_FROMs walking down to the submodule of `as`
    bool shaped = true;
    while (j < in.size() && in[j].opcode == op::IMPORT_FROM) {
        ++hops;
        ++j;
        if (j + 1 < in.size() && in[j].opcode == op::SWAP && in[j].arg == 2 && in[j + 1].opcode == op::POP_TOP) {
            j += 2;
        } else if (j < in.size() && !is_store(in[j].opcode)) {
            shaped = false;
            break;
        }
    }
    if (!shaped || j >= in.size() || !is_store(in[j].opcode)) return;
    s.bindings.push_back({"", stored_name(code, in[j]), j, hops > 0});
    s.end = j + 1;
    if (hops > 0) {
        // The package stays under the submodule until the final POP_TOP.
        if (s.end < in.size() && in[s.end].opcode == op::POP_TOP) {
            ++s.end;
        } else {
            s.canonical = false;
        }
    }
}

void parse_from(const CodeObject& code, const std::vector<Instr>& in, ImportStatement& s) {
    std::size_t j = s.import_name + 1;
    while (j + 1 < in.size() && in[j].opcode == op::IMPORT_FROM && is_store(in[j + 1].opcode)) {
        const std::string imported = in[j].arg < code.names.size() ? code.names[in[j].arg] : std::string();
        s.bindings.push_back({imported, stored_name(code, in[j + 1]), j + 1, false});
        j += 2;
    }
    if (j < in.size() && in[j].opcode == op::POP_TOP && !s.bindings.empty()) {
        s.end = j + 1;
    } else {
        s.end = j;
        s.canonical = false;
    }
}

}  // namespace

std::vector<ImportStatement> import_statements(const CodeObject& code, const InstrList& list) {
    std::vector<ImportStatement> out;
    const auto& in = list.instrs;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i].opcode != op::IMPORT_NAME || in[i].arg >= code.names.size()) continue;
        ImportStatement s;
        s.import_name = i;
        s.begin = i;
        s.end = i + 1;
        s.module = code.names[in[i].arg];
        const Constant* level = i >= 2 ? constant(code, in[i - 2]) : nullptr;
        const Constant* fromlist = i >= 1 ? constant(code, in[i - 1]) : nullptr;
        if (level != nullptr && level->kind == Constant::Kind::integer && fromlist != nullptr &&
            (fromlist->kind == Constant::Kind::none || fromlist->kind == Constant::Kind::tuple)) {
            s.begin = i - 2;
            s.level = std::atoi(level->text.c_str());
            s.from_import = fromlist->kind == Constant::Kind::tuple;
            s.canonical = true;
        } else if (fromlist != nullptr) {
            s.from_import = fromlist->kind == Constant::Kind::tuple;
        }
        if (i + 1 < in.size() && in[i + 1].opcode == op::IMPORT_STAR) {
            s.star = true;
            s.end = i + 2;
        } else if (s.from_import) {
            parse_from(code, in, s);
        } else {
            parse_plain(code, in, s);
        }
        if (s.bindings.empty() && !s.star) s.canonical = false;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace shrinkpy::analyzer::detail
