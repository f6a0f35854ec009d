// ====================================================================================================
// Liveness, boundness and last uses on the tricky corpus, with the validators; paired with
// tests/python/test_liveness.py (which holds the hand-checked expectations for every function).
// ====================================================================================================
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {
namespace {

// name -> lines (relative to co_firstlineno) of its last-use loads.
std::map<std::string, std::set<int>> last_use_lines(const CodeAnalysis& a) {
    std::map<std::string, std::set<int>> out;
    for (const LastUse& use : a.last_uses) {
        out[a.locals.names[use.slot]].insert(a.instrs->instrs[use.instr].position.line - a.code->firstlineno);
    }
    return out;
}

CodeAnalysis analyze_named(const std::vector<CodeObject>& corpus, const char* name) {
    const CodeObject* code = testing::find_code(corpus, name);
    EXPECT_NE(code, nullptr) << name;
    AnalyzeOptions options;
    options.validate = true;
    return analyze_code(*code, options);
}

TEST(Liveness, HandCheckedLastUses) {
    const auto corpus = testing::load_corpus("tricky.spco");
    using Lines = std::map<std::string, std::set<int>>;
    EXPECT_EQ(last_use_lines(analyze_named(corpus, "straight")),
              (Lines{{"a", {1}}, {"x", {2}}, {"y", {3}}, {"b", {4}}}));
    EXPECT_EQ(last_use_lines(analyze_named(corpus, "loop_carried")), (Lines{{"i", {5}}, {"total", {4, 6}}}));
    EXPECT_EQ(last_use_lines(analyze_named(corpus, "finally_reads")),
              (Lines{{"path", {1}}, {"handle", {5}}, {"data", {6}}}));
    EXPECT_EQ(last_use_lines(analyze_named(corpus, "rebind")), (Lines{{"text", {1, 2}}, {"parts", {4}}}));
    EXPECT_EQ(last_use_lines(analyze_named(corpus, "nested_try")), (Lines{{"a", {3}}, {"r", {6, 9}}}));
}

TEST(Liveness, ValidatorsHoldOnTheCorpus) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    AnalyzeOptions options;
    options.validate = true;
    const CodeAnalysis all = analyze_code(corpus[0], options);
    const AnalysisTotals t = totals(all);
    EXPECT_EQ(t.failed, 0u);
    EXPECT_GT(t.last_uses, 40u);
}

TEST(Liveness, ValidatorCatchesCorruption) {
    const auto corpus = testing::load_corpus("tricky.spco");
    CodeAnalysis a = analyze_named(corpus, "straight");
    ASSERT_FALSE(a.error);
    EXPECT_TRUE(verify_liveness(*a.cfg, a.locals, a.live));
    a.live.live_before.row(3)[0] ^= 0x1;  // flip `a` before an instruction after its last use
    EXPECT_FALSE(verify_liveness(*a.cfg, a.locals, a.live));
    EXPECT_TRUE(verify_boundness(*a.cfg, a.locals, a.bound));
    a.bound.bound_after.row(2)[0] ^= 0x4;
    EXPECT_FALSE(verify_boundness(*a.cfg, a.locals, a.bound));
}

TEST(Boundness, MaybeUnboundDelete) {
    const auto corpus = testing::load_corpus("tricky.spco");
    const CodeAnalysis a = analyze_named(corpus, "maybe_unbound");
    ASSERT_FALSE(a.error);
    const std::uint32_t x = 1;  // flag, x
    ASSERT_EQ(a.locals.names[x], "x");
    bool found = false;
    for (std::size_t i = 0; i < a.instrs->instrs.size(); ++i) {
        if (a.instrs->instrs[i].opcode == *opcode_by_name("DELETE_FAST")) {
            found = true;
            EXPECT_TRUE(a.live.live_before.test(i, x));
            EXPECT_FALSE(a.bound.bound_before.test(i, x));
            EXPECT_FALSE(a.bound.bound_after.test(i, x));
        }
    }
    EXPECT_TRUE(found);
}

TEST(Observers, FrameReadersAreReported) {
    const auto corpus = testing::load_corpus("tricky.spco");
    EXPECT_TRUE(analyze_named(corpus, "straight").observers.empty());
}

}  // namespace
}  // namespace shrinkpy::analyzer
