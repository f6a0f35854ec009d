// ====================================================================================================
// Slots: the variables a dataflow analysis tracks, and what each instruction does to them.
//
//   fast locals   localsplus slots of kind kFastLocal that are not cells (LOAD_FAST, STORE_FAST,
//                 DELETE_FAST; haslocal in 3.11). Cell and free slots are never tracked: other
//                 frames reach them through the cell (DESIGN.md, 2.7 of code-anchors.md).
//   names         co_names entries read and written by *_NAME / *_GLOBAL (module level code).
//
// SlotSets is a flat array of equal-width bit sets, one per instruction or block, so an analysis
// of a whole function makes a handful of allocations.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer {

class SlotSets {
public:
    SlotSets() = default;
    SlotSets(std::size_t count, std::size_t bits, bool fill = false)
        : words_((bits + 63) / 64), bits_(bits), data_(count * words_, fill ? ~0ull : 0ull) {
        if (fill) trim_all();
    }
    std::size_t words() const { return words_; }
    std::size_t bits() const { return bits_; }
    std::size_t count() const { return words_ == 0 ? 0 : data_.size() / words_; }
    std::uint64_t* row(std::size_t i) { return data_.data() + i * words_; }
    const std::uint64_t* row(std::size_t i) const { return data_.data() + i * words_; }
    bool test(std::size_t i, std::size_t bit) const { return (row(i)[bit / 64] >> (bit % 64)) & 1u; }
    void set(std::size_t i, std::size_t bit) { row(i)[bit / 64] |= 1ull << (bit % 64); }
    std::vector<std::uint32_t> members(std::size_t i) const;

private:
    void trim_all();
    std::size_t words_ = 0, bits_ = 0;
    std::vector<std::uint64_t> data_;
};

enum class AccessKind : std::uint8_t { none, load, store, del };

struct SlotAccess {
    AccessKind kind = AccessKind::none;
    std::int32_t slot = -1;
};

struct SlotUniverse {
    enum class Scope : std::uint8_t { fast_locals, names };
    Scope scope = Scope::fast_locals;
    bool cells = false;                      // fast_locals: cell slots too (LOAD/STORE/DELETE_DEREF)
    std::vector<std::string> names;          // slot -> variable name
    std::vector<std::int32_t> slot_of_arg;   // localsplus or co_names index -> slot, -1 untracked
    std::vector<std::uint32_t> entry_bound;  // slots bound when the code starts (arguments)

    std::size_t size() const { return names.size(); }
    SlotAccess access(const Instr& in) const;
};

// `include_cells` adds the code object's own cell slots (never its free variables). The early-freeing
// policy never does: other frames read a cell (its "cells" rule); the hazard test switches it off.
SlotUniverse fast_local_slots(const CodeObject& code, bool include_cells = false);
// Every co_names entry (for module-level code). `tracked`, when not empty, selects names.
SlotUniverse name_slots(const CodeObject& code, const std::vector<bool>& tracked = {});

}  // namespace shrinkpy::analyzer
