// ====================================================================================================
// May-live (backward) analysis, last uses and entry deaths. Equations in dataflow.hpp.
// ====================================================================================================
#include <algorithm>
#include <deque>

#include "shrinkpy/analyzer/dataflow.hpp"
#include "shrinkpy/analyzer/debug.hpp"

namespace shrinkpy::analyzer {
namespace {

using Word = std::uint64_t;

void copy(Word* dst, const Word* src, std::size_t words) { std::copy(src, src + words, dst); }
void unite(Word* dst, const Word* src, std::size_t words) {
    for (std::size_t w = 0; w < words; ++w) dst[w] |= src[w];
}

// Backward transfer of one instruction, in place: live becomes live_before.
void transfer_back(Word* live, const SlotAccess& a, bool deletes_are_uses, const Word* handler_in, std::size_t words,
                   const std::vector<std::uint32_t>* extra = nullptr) {
    if (a.kind != AccessKind::none) {
        const std::size_t w = static_cast<std::size_t>(a.slot) / 64;
        const Word bit = 1ull << (static_cast<std::size_t>(a.slot) % 64);
        switch (a.kind) {
            case AccessKind::load: live[w] |= bit; break;
            case AccessKind::store: live[w] &= ~bit; break;
            case AccessKind::del:
                if (deletes_are_uses)
                    live[w] |= bit;
                else
                    live[w] &= ~bit;
                break;
            case AccessKind::none: break;
        }
    }
    if (extra != nullptr) {
        for (std::uint32_t slot : *extra) live[slot / 64] |= 1ull << (slot % 64);
    }
    if (handler_in != nullptr) unite(live, handler_in, words);
}

const std::vector<std::uint32_t>* extra_at(const LivenessOptions& options, std::size_t i) {
    if (options.extra_uses == nullptr || i >= options.extra_uses->size() || (*options.extra_uses)[i].empty())
        return nullptr;
    return &(*options.extra_uses)[i];
}

}  // namespace

Liveness compute_liveness(const Cfg& cfg, const SlotUniverse& slots, LivenessOptions options) {
    const InstrList& code = *cfg.code;
    const std::size_t nblocks = cfg.blocks.size();
    Liveness out{SlotSets(code.instrs.size(), slots.size()), SlotSets(code.instrs.size(), slots.size()),
                 SlotSets(nblocks, slots.size())};
    const std::size_t words = out.block_in.words();
    if (words == 0 || nblocks == 0) return out;

    std::vector<SlotAccess> access(code.instrs.size());
    for (std::size_t i = 0; i < code.instrs.size(); ++i) access[i] = slots.access(code.instrs[i]);

    // Who depends on block b's live_in: its normal predecessors and the blocks it handles.
    std::vector<Word> scratch(words);
    std::vector<std::uint8_t> queued(nblocks, 1);
    std::deque<std::uint32_t> work;
    for (std::uint32_t b = static_cast<std::uint32_t>(nblocks); b-- > 0;) work.push_back(b);
    const auto block_out = [&](const BasicBlock& b, Word* live) {
        std::fill(live, live + words, 0);
        if (b.fallthrough != kNoBlock) unite(live, out.block_in.row(b.fallthrough), words);
        if (b.jump != kNoBlock) unite(live, out.block_in.row(b.jump), words);
    };
    while (!work.empty()) {
        const std::uint32_t id = work.front();
        work.pop_front();
        queued[id] = 0;
        const BasicBlock& b = cfg.blocks[id];
        Word* live = scratch.data();
        block_out(b, live);
        const Word* handler_in = b.handler != kNoBlock ? out.block_in.row(b.handler) : nullptr;
        for (std::uint32_t i = b.end; i-- > b.begin;)
            transfer_back(live, access[i], options.deletes_are_uses, handler_in, words, extra_at(options, i));
        if (!std::equal(live, live + words, out.block_in.row(id))) {
            copy(out.block_in.row(id), live, words);
            const auto enqueue = [&](std::uint32_t p) {
                if (!queued[p]) {
                    queued[p] = 1;
                    work.push_back(p);
                }
            };
            for (std::uint32_t p : b.preds) enqueue(p);
            for (std::uint32_t r : b.raisers) enqueue(r);
        }
    }
    // Per-instruction sets from the fixed point.
    for (std::uint32_t id = 0; id < nblocks; ++id) {
        const BasicBlock& b = cfg.blocks[id];
        Word* live = scratch.data();
        block_out(b, live);
        const Word* handler_in = b.handler != kNoBlock ? out.block_in.row(b.handler) : nullptr;
        for (std::uint32_t i = b.end; i-- > b.begin;) {
            copy(out.live_after.row(i), live, words);
            transfer_back(live, access[i], options.deletes_are_uses, handler_in, words, extra_at(options, i));
            copy(out.live_before.row(i), live, words);
        }
    }
    return out;
}

std::vector<LastUse> last_uses(const Cfg& cfg, const SlotUniverse& slots, const Liveness& live) {
    std::vector<LastUse> out;
    const InstrList& code = *cfg.code;
    for (std::uint32_t i = 0; i < code.instrs.size(); ++i) {
        const SlotAccess a = slots.access(code.instrs[i]);
        if (a.kind == AccessKind::load && !live.live_after.test(i, static_cast<std::size_t>(a.slot))) {
            out.push_back(LastUse{i, static_cast<std::uint32_t>(a.slot)});
        }
    }
    return out;
}

std::vector<EntryDeath> entry_deaths(const Cfg& cfg, const Liveness& live, const Boundness& bound) {
    std::vector<EntryDeath> out;
    const std::size_t words = live.block_in.words();
    if (words == 0) return out;
    std::vector<Word> incoming(words);
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        const BasicBlock& b = cfg.blocks[id];
        if (!cfg.reachable(id)) continue;
        std::fill(incoming.begin(), incoming.end(), 0);
        for (std::uint32_t p : b.preds) {
            if (cfg.reachable(p)) unite(incoming.data(), live.live_after.row(cfg.blocks[p].end - 1), words);
        }
        for (std::uint32_t r : b.raisers) {
            if (!cfg.reachable(r)) continue;
            for (std::uint32_t i = cfg.blocks[r].begin; i < cfg.blocks[r].end; ++i)
                unite(incoming.data(), live.live_before.row(i), words);
        }
        const Word* in = live.block_in.row(id);
        const Word* bound_in = bound.block_in.row(id);
        for (std::size_t w = 0; w < words; ++w) {
            for (Word dead = incoming[w] & ~in[w]; dead != 0; dead &= dead - 1) {
                const auto slot = static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(dead)));
                out.push_back(EntryDeath{id, slot, ((bound_in[w] >> (slot % 64)) & 1u) != 0});
            }
        }
    }
    return out;
}

Status verify_liveness(const Cfg& cfg, const SlotUniverse& slots, const Liveness& live, LivenessOptions options) {
    const InstrList& code = *cfg.code;
    const std::size_t words = live.block_in.words();
    std::vector<Word> expect(words);
    for (std::uint32_t id = 0; id < cfg.blocks.size(); ++id) {
        const BasicBlock& b = cfg.blocks[id];
        const auto fail = [&](std::uint32_t i, const char* what) {
            return make_error(
                Section::code, code.instrs[i].origin_bytes(), code.instrs[i].opcode,
                std::string("internal: liveness validator: ") + what + " at instruction " + std::to_string(i));
        };
        if (!std::equal(live.block_in.row(id), live.block_in.row(id) + words, live.live_before.row(b.begin))) {
            return fail(b.begin, "block live-in differs from its first instruction");
        }
        for (std::uint32_t i = b.begin; i < b.end; ++i) {
            // live_after(i): the next instruction's live_before, or the union over successors.
            std::fill(expect.begin(), expect.end(), 0);
            if (i + 1 < b.end) {
                copy(expect.data(), live.live_before.row(i + 1), words);
            } else {
                if (b.fallthrough != kNoBlock) unite(expect.data(), live.block_in.row(b.fallthrough), words);
                if (b.jump != kNoBlock) unite(expect.data(), live.block_in.row(b.jump), words);
            }
            if (!std::equal(expect.begin(), expect.end(), live.live_after.row(i)))
                return fail(i, "live-after is not the successors' live-in");
            transfer_back(expect.data(), slots.access(code.instrs[i]), options.deletes_are_uses,
                          b.handler != kNoBlock ? live.block_in.row(b.handler) : nullptr, words, extra_at(options, i));
            if (!std::equal(expect.begin(), expect.end(), live.live_before.row(i)))
                return fail(i, "transfer equation does not hold");
        }
    }
    return Ok{};
}

}  // namespace shrinkpy::analyzer
