// ====================================================================================================
// Dataflow over a Cfg for one SlotUniverse.
//
// May-live (backward, union): a slot is live before an instruction when some path from there
// reads it before storing it. Transfer of instruction i in a block with handler H:
//     live_before(i) = use(i) | (live_after(i) - def(i)) | live_in(H)
// where loads are uses, stores are defs, and a delete is a use (it raises when unbound) and a def.
// live_after(last) = union of live_in over normal successors.
//
// Definitely-bound (forward, intersection): a slot is bound before i on every path from the entry.
// Stores and loads (a load that succeeds proves the slot bound) bind, deletes unbind. A block's
// entry is the intersection over normal predecessors' exits and, for handlers, over the state
// before every instruction of every raising block. Unreachable blocks keep "everything bound".
//
// Last use: a load of slot s at i with s not live after i. Entry deaths: slots live at the end
// of some predecessor (or before some raising instruction) but dead at a block's entry, e.g. a
// loop variable when the loop exits.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <vector>

#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/slots.hpp"

namespace shrinkpy::analyzer {

struct Liveness {
    SlotSets live_before;  // per instruction
    SlotSets live_after;   // per instruction
    SlotSets block_in;     // per block
};

struct Boundness {
    SlotSets bound_before;  // per instruction
    SlotSets bound_after;   // per instruction
    SlotSets block_in;      // per block
};

struct LastUse {
    std::uint32_t instr = 0;  // index into the InstrList
    std::uint32_t slot = 0;
};

struct EntryDeath {
    std::uint32_t block = 0;
    std::uint32_t slot = 0;
    bool bound = false;  // definitely bound at the block entry (a DELETE_FAST there cannot raise)
};

struct LivenessOptions {
    bool deletes_are_uses = true;  // false: only real reads count (unused-import analysis)
    // Per instruction, more slots it counts as reading: the rewriter keeps an object alive while
    // a handle derived from it is read (provenance.hpp). Null for none.
    const std::vector<std::vector<std::uint32_t>>* extra_uses = nullptr;
};

struct BoundnessOptions {
    // A load that succeeds proves the slot bound: true for fast locals, false for module names
    // (LOAD_NAME falls back to builtins).
    bool loads_bind = true;
};

Liveness compute_liveness(const Cfg& cfg, const SlotUniverse& slots, LivenessOptions options = {});
Boundness compute_boundness(const Cfg& cfg, const SlotUniverse& slots, BoundnessOptions options = {});
std::vector<LastUse> last_uses(const Cfg& cfg, const SlotUniverse& slots, const Liveness& live);
std::vector<EntryDeath> entry_deaths(const Cfg& cfg, const Liveness& live, const Boundness& bound);

// Validators: check the transfer equations at every instruction and edge (not minimality).
Status verify_liveness(const Cfg& cfg, const SlotUniverse& slots, const Liveness& live, LivenessOptions options = {});
Status verify_boundness(const Cfg& cfg, const SlotUniverse& slots, const Boundness& bound,
                        BoundnessOptions options = {});

}  // namespace shrinkpy::analyzer
