// ====================================================================================================
// Instruction layer: inserting instructions (what the early-freeing rewriter does), EXTENDED_ARG
// growth to a fixed point, labels and try regions following the inserted code. Paired with
// tests/python/test_roundtrip.py.
// ====================================================================================================
#include <gtest/gtest.h>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

std::uint8_t op(const char* name) { return *opcode_by_name(name); }

TEST(Instructions, CorpusRoundTripsThroughEveryLayer) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    int checked = 0;
    testing::for_each_code(corpus[0], [&](const CodeObject& code) {
        auto list = decode_instructions(code);
        ASSERT_TRUE(list) << code.qualname << ": " << list.error().describe();
        auto out = assemble(*list);
        ASSERT_TRUE(out) << out.error().describe();
        EXPECT_EQ(out->code, code.code) << code.qualname;
        EXPECT_EQ(out->exceptiontable, code.exceptiontable) << code.qualname;
        EXPECT_EQ(out->linetable, code.linetable) << code.qualname;
        auto cfg = build_cfg(*list);
        ASSERT_TRUE(cfg) << cfg.error().describe();
        EXPECT_TRUE(cfg->verify());
        EXPECT_LE(cfg->max_depth, code.stacksize);
        auto back = cfg->to_instructions();
        ASSERT_TRUE(back);
        auto again = assemble(*back);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->code, code.code);
        ++checked;
    });
    EXPECT_GT(checked, 15);
}

// Insert a DELETE_FAST after every STORE_FAST inside a try region of nested_try, as the rewriter
// will: the inserted instruction joins its neighbour's region and position; the exception table
// grows to cover it; jumps over it get longer.
TEST(Instructions, InsertionKeepsRegionsJumpsAndLines) {
    const auto corpus = testing::load_corpus("tricky.spco");
    const CodeObject* code = testing::find_code(corpus, "nested_try");
    ASSERT_NE(code, nullptr);
    auto list = decode_instructions(*code);
    ASSERT_TRUE(list);
    const std::size_t before = list->instrs.size();
    std::vector<Instr> rewritten;
    int inserted = 0;
    for (const Instr& in : list->instrs) {
        rewritten.push_back(in);
        if (in.opcode == op("STORE_FAST") && in.region != kNoRegion) {
            Instr del;
            del.opcode = op("DELETE_FAST");
            del.arg = in.arg;
            del.region = in.region;
            del.position = in.position;
            rewritten.push_back(del);
            ++inserted;
        }
    }
    ASSERT_GT(inserted, 0);
    list->instrs = rewritten;
    auto out = assemble(*list);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ(out->code.size(), code->code.size() + 2u * inserted);
    CodeObject changed = *code;
    changed.code = out->code;
    changed.exceptiontable = out->exceptiontable;
    changed.linetable = out->linetable;
    auto again = decode_instructions(changed);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(again->instrs.size(), before + inserted);
    for (std::size_t i = 0; i < again->instrs.size(); ++i) {
        EXPECT_EQ(again->instrs[i].opcode, rewritten[i].opcode);
        EXPECT_EQ(again->instrs[i].region == kNoRegion, rewritten[i].region == kNoRegion);
        EXPECT_EQ(again->instrs[i].position, rewritten[i].position);
    }
    EXPECT_TRUE(build_cfg(*again));
}

// A forward jump over NOPs: at 255 units it needs no prefix, one NOP more and it needs an
// EXTENDED_ARG, which moves everything after the jump.
TEST(Instructions, ExtendedArgFixedPoint) {
    for (int nops : {254, 255, 256, 70000}) {
        InstrList list;
        list.firstlineno = 1;
        Instr jump;
        jump.opcode = op("JUMP_FORWARD");
        jump.target = list.new_label();
        jump.position = Position{1, 1, 0, 1};
        list.instrs.push_back(jump);
        Instr nop;
        nop.opcode = op("NOP");
        nop.position = Position{2, 2, 0, 1};
        list.instrs.insert(list.instrs.end(), static_cast<std::size_t>(nops), nop);
        Instr load;
        load.opcode = op("LOAD_CONST");
        load.label = jump.target;
        load.position = Position{3, 3, 0, 1};
        list.instrs.push_back(load);
        Instr ret;
        ret.opcode = op("RETURN_VALUE");
        ret.position = Position{3, 3, 0, 1};
        list.instrs.push_back(ret);
        auto out = assemble(list);
        ASSERT_TRUE(out) << out.error().describe();
        auto concrete = decode_code_units(out->code);
        ASSERT_TRUE(concrete);
        EXPECT_EQ((*concrete)[0].arg, static_cast<std::uint32_t>(nops));
        EXPECT_EQ((*concrete)[0].prefixes, nops > 255 ? (nops > 65535 ? 2 : 1) : 0);
    }
}

TEST(Instructions, VerifyRejectsBrokenLists) {
    InstrList list;
    Instr jump;
    jump.opcode = op("JUMP_FORWARD");
    jump.target = 7;
    list.instrs.push_back(jump);
    EXPECT_FALSE(list.verify());
    EXPECT_FALSE(assemble(list));
    list.instrs[0].opcode = op("NOP");
    EXPECT_FALSE(list.verify());  // a target on a non-jump
}

TEST(Instructions, BackwardJumpCannotGoForward) {
    InstrList list;
    Instr jump;
    jump.opcode = op("JUMP_BACKWARD");
    jump.target = list.new_label();
    Instr nop;
    nop.opcode = op("NOP");
    Instr target;
    target.opcode = op("RETURN_VALUE");
    target.label = jump.target;
    list.instrs = {jump, nop, target};  // a zero-distance backward jump is legal; this one is not
    auto out = assemble(list);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().reason.find("backward jump"), std::string::npos);
}

}  // namespace
}  // namespace shrinkpy::analyzer
