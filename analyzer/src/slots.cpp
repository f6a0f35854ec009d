// ====================================================================================================
// Slot universes and SlotSets helpers.
// ====================================================================================================
#include "shrinkpy/analyzer/slots.hpp"

#include "opcodes_311.hpp"

namespace shrinkpy::analyzer {

std::vector<std::uint32_t> SlotSets::members(std::size_t i) const {
    std::vector<std::uint32_t> out;
    const std::uint64_t* r = row(i);
    for (std::size_t w = 0; w < words_; ++w) {
        for (std::uint64_t bits = r[w]; bits != 0; bits &= bits - 1) {
            out.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))));
        }
    }
    return out;
}

void SlotSets::trim_all() {
    if (bits_ % 64 == 0 || words_ == 0) return;
    const std::uint64_t mask = (1ull << (bits_ % 64)) - 1;
    for (std::size_t i = 0; i < count(); ++i) row(i)[words_ - 1] &= mask;
}

SlotAccess SlotUniverse::access(const Instr& in) const {
    AccessKind kind = AccessKind::none;
    std::uint32_t index = in.arg;
    if (scope == Scope::fast_locals) {
        switch (in.opcode) {
            case op::LOAD_FAST: kind = AccessKind::load; break;
            case op::STORE_FAST: kind = AccessKind::store; break;
            case op::DELETE_FAST: kind = AccessKind::del; break;
            case op::LOAD_DEREF:
            case op::LOAD_CLOSURE:
                if (!cells) return {};
                kind = AccessKind::load;
                break;
            case op::STORE_DEREF:
                if (!cells) return {};
                kind = AccessKind::store;
                break;
            case op::DELETE_DEREF:
                if (!cells) return {};
                kind = AccessKind::del;
                break;
            default: return {};
        }
    } else {
        switch (in.opcode) {
            case op::LOAD_NAME: kind = AccessKind::load; break;
            case op::LOAD_GLOBAL:
                kind = AccessKind::load;
                index >>= 1;
                break;  // bit 0: push NULL
            case op::STORE_NAME:
            case op::STORE_GLOBAL: kind = AccessKind::store; break;
            case op::DELETE_NAME:
            case op::DELETE_GLOBAL: kind = AccessKind::del; break;
            default: return {};
        }
    }
    if (index >= slot_of_arg.size() || slot_of_arg[index] < 0) return {};
    return SlotAccess{kind, slot_of_arg[index]};
}

SlotUniverse fast_local_slots(const CodeObject& code, bool include_cells) {
    SlotUniverse u;
    u.scope = SlotUniverse::Scope::fast_locals;
    u.cells = include_cells;
    u.slot_of_arg.assign(code.localsplus_names.size(), -1);
    for (std::size_t i = 0; i < code.localsplus_names.size() && i < code.localsplus_kinds.size(); ++i) {
        const std::uint8_t kind = code.kind(i);
        const bool local = (kind & kFastLocal) && !(kind & (kFastCell | kFastFree));
        if (local || (include_cells && (kind & kFastCell))) {
            u.slot_of_arg[i] = static_cast<std::int32_t>(u.names.size());
            if (static_cast<std::int64_t>(i) < code.total_args())
                u.entry_bound.push_back(static_cast<std::uint32_t>(u.names.size()));
            u.names.push_back(code.localsplus_names[i]);
        }
    }
    return u;
}

SlotUniverse name_slots(const CodeObject& code, const std::vector<bool>& tracked) {
    SlotUniverse u;
    u.scope = SlotUniverse::Scope::names;
    u.slot_of_arg.assign(code.names.size(), -1);
    for (std::size_t i = 0; i < code.names.size(); ++i) {
        if (!tracked.empty() && (i >= tracked.size() || !tracked[i])) continue;
        u.slot_of_arg[i] = static_cast<std::int32_t>(u.names.size());
        u.names.push_back(code.names[i]);
    }
    return u;
}

}  // namespace shrinkpy::analyzer
