// ====================================================================================================
// Definitely-bound (forward, must) analysis: the dual of CPython's maybe-unbound mask (3.12's
// scan_block_for_locals). Equations in dataflow.hpp.
// ====================================================================================================
#include <algorithm>
#include <deque>

#include "shrinkpy/analyzer/dataflow.hpp"

namespace shrinkpy::analyzer {
namespace {

using Word = std::uint64_t;

void transfer_forward(Word* bound, const SlotAccess& a, bool loads_bind) {
    if (a.kind == AccessKind::none || (a.kind == AccessKind::load && !loads_bind)) return;
    const std::size_t w = static_cast<std::size_t>(a.slot) / 64;
    const Word bit = 1ull << (static_cast<std::size_t>(a.slot) % 64);
    if (a.kind == AccessKind::del) {
        bound[w] &= ~bit;  // unbound afterwards whether or not it raised
    } else {
        bound[w] |= bit;  // a store binds; a load that did not raise proves the slot bound
    }
}

void intersect(Word* dst, const Word* src, std::size_t words) {
    for (std::size_t w = 0; w < words; ++w) dst[w] &= src[w];
}

}  // namespace

Boundness compute_boundness(const Cfg& cfg, const SlotUniverse& slots, BoundnessOptions options) {
    const InstrList& code = *cfg.code;
    const std::size_t n = code.instrs.size();
    const std::size_t nblocks = cfg.blocks.size();
    // Start from "all bound" (the top of the lattice) everywhere but the entry.
    Boundness out{SlotSets(n, slots.size(), true), SlotSets(n, slots.size(), true),
                  SlotSets(nblocks, slots.size(), true)};
    const std::size_t words = out.block_in.words();
    if (words == 0 || nblocks == 0) return out;
    std::vector<SlotAccess> access(n);
    for (std::size_t i = 0; i < n; ++i) access[i] = slots.access(code.instrs[i]);

    SlotSets entry(1, slots.size());
    for (std::uint32_t s : slots.entry_bound) entry.set(0, s);
    // Per block: state at exit, and the intersection of the states before each instruction (what a
    // handler of the block can see).
    SlotSets exit_state(nblocks, slots.size(), true), raise_state(nblocks, slots.size(), true);
    std::vector<Word> in(words), state(words), seen(words);

    std::vector<std::uint8_t> queued(nblocks, 0);
    std::deque<std::uint32_t> work;
    for (std::uint32_t b = 0; b < nblocks; ++b) {
        if (cfg.reachable(b)) {
            work.push_back(b);
            queued[b] = 1;
        }
    }
    while (!work.empty()) {
        const std::uint32_t id = work.front();
        work.pop_front();
        queued[id] = 0;
        const BasicBlock& b = cfg.blocks[id];
        std::fill(in.begin(), in.end(), ~0ull);
        if (id == 0) intersect(in.data(), entry.row(0), words);
        for (std::uint32_t p : b.preds) {
            if (cfg.reachable(p)) intersect(in.data(), exit_state.row(p), words);
        }
        for (std::uint32_t r : b.raisers) {
            if (cfg.reachable(r)) intersect(in.data(), raise_state.row(r), words);
        }
        for (std::size_t w = 0; w < words; ++w) in[w] &= out.block_in.row(id)[w];  // keep the trim mask
        std::copy(in.begin(), in.end(), out.block_in.row(id));
        state = in;
        seen = in;
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            intersect(seen.data(), state.data(), words);
            transfer_forward(state.data(), access[i], options.loads_bind);
        }
        const bool exit_changed = !std::equal(state.begin(), state.end(), exit_state.row(id));
        const bool raise_changed = !std::equal(seen.begin(), seen.end(), raise_state.row(id));
        std::copy(state.begin(), state.end(), exit_state.row(id));
        std::copy(seen.begin(), seen.end(), raise_state.row(id));
        const auto enqueue = [&](std::uint32_t s) {
            if (s != kNoBlock && cfg.reachable(s) && !queued[s]) {
                queued[s] = 1;
                work.push_back(s);
            }
        };
        if (exit_changed) {
            enqueue(b.fallthrough);
            enqueue(b.jump);
        }
        if (raise_changed) enqueue(b.handler);
    }
    for (std::uint32_t id = 0; id < nblocks; ++id) {
        const BasicBlock& b = cfg.blocks[id];
        std::copy(out.block_in.row(id), out.block_in.row(id) + words, state.begin());
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            std::copy(state.begin(), state.end(), out.bound_before.row(i));
            transfer_forward(state.data(), access[i], options.loads_bind);
            std::copy(state.begin(), state.end(), out.bound_after.row(i));
        }
    }
    return out;
}

Status verify_boundness(const Cfg& cfg, const SlotUniverse& slots, const Boundness& bound, BoundnessOptions options) {
    const InstrList& code = *cfg.code;
    const std::size_t words = bound.block_in.words();
    if (words == 0) return Ok{};
    std::vector<Word> expect(words);
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        const BasicBlock& b = cfg.blocks[id];
        if (!cfg.reachable(id)) continue;
        const auto fail = [&](std::uint32_t i, const char* what) {
            return make_error(
                Section::code, code.instrs[i].origin_bytes(), code.instrs[i].opcode,
                std::string("internal: boundness validator: ") + what + " at instruction " + std::to_string(i));
        };
        // Every slot bound at the entry must be bound at the end of every normal predecessor and
        // before every instruction of every raising block.
        const Word* in = bound.block_in.row(id);
        if (id == 0) {
            for (std::uint32_t s = 0; s < slots.size(); ++s) {
                if (bound.block_in.test(0, s) &&
                    std::find(slots.entry_bound.begin(), slots.entry_bound.end(), s) == slots.entry_bound.end()) {
                    return fail(b.begin, "a slot bound at the entry that is not an argument");
                }
            }
        }
        for (std::uint32_t p : b.preds) {
            if (!cfg.reachable(p)) continue;
            const Word* pred = bound.bound_after.row(cfg.blocks[p].end - 1);
            for (std::size_t w = 0; w < words; ++w) {
                if (in[w] & ~pred[w]) return fail(b.begin, "bound at entry but not at a predecessor's exit");
            }
        }
        for (std::uint32_t r : b.raisers) {
            if (!cfg.reachable(r)) continue;
            for (std::uint32_t i = cfg.blocks[r].begin; i < cfg.blocks[r].end; ++i) {
                const Word* before = bound.bound_before.row(i);
                for (std::size_t w = 0; w < words; ++w) {
                    if (in[w] & ~before[w])
                        return fail(b.begin, "bound at a handler but not before a raising instruction");
                }
            }
        }
        std::copy(in, in + words, expect.begin());
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            if (!std::equal(expect.begin(), expect.end(), bound.bound_before.row(i)))
                return fail(i, "bound-before mismatch");
            transfer_forward(expect.data(), slots.access(code.instrs[i]), options.loads_bind);
            if (!std::equal(expect.begin(), expect.end(), bound.bound_after.row(i)))
                return fail(i, "bound-after mismatch");
        }
    }
    return Ok{};
}

}  // namespace shrinkpy::analyzer
