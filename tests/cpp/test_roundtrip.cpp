// ====================================================================================================
// The stdlib round trip without an interpreter: every code object of stdlib.spco (written at
// build time from /usr/lib/python3.11) decodes and re-encodes identically through the concrete,
// instruction and CFG layers, and every analysis succeeds. Paired with
// tests/python/test_roundtrip.py. SHRINKPY_TEST_STRIDE > 1 samples modules (sanitized build).
// ====================================================================================================
#include <gtest/gtest.h>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/imports.hpp"

#ifndef SHRINKPY_TEST_STRIDE
#define SHRINKPY_TEST_STRIDE 1
#endif

namespace shrinkpy::analyzer {
namespace {

TEST(StdlibRoundTrip, IdenticalThroughEveryLayer) {
    const auto corpus = testing::load_corpus("stdlib.spco");
    ASSERT_GT(corpus.size(), 1000u);
    std::size_t codes = 0, identical = 0;
    for (std::size_t m = 0; m < corpus.size(); m += SHRINKPY_TEST_STRIDE) {
        testing::for_each_code(corpus[m], [&](const CodeObject& code) {
            ++codes;
            auto concrete = decode_concrete(code);
            if (!concrete) return ADD_FAILURE() << code.qualname << ": " << concrete.error().describe();
            auto units = encode_code_units(concrete->instrs);
            auto lines = encode_location_table(concrete->locations, code.firstlineno);
            if (!units || *units != code.code || encode_exception_table(concrete->exceptions) != code.exceptiontable ||
                !lines || *lines != code.linetable) {
                return ADD_FAILURE() << "concrete layer changed " << code.filename << " " << code.qualname;
            }
            auto list = to_instructions(*concrete, code.firstlineno);
            if (!list) return ADD_FAILURE() << list.error().describe();
            auto cfg = build_cfg(*list);
            if (!cfg) return ADD_FAILURE() << cfg.error().describe();
            auto back = cfg->to_instructions();
            if (!back) return ADD_FAILURE() << back.error().describe();
            auto out = assemble(*back);
            if (!out) return ADD_FAILURE() << out.error().describe();
            if (out->code != code.code || out->exceptiontable != code.exceptiontable ||
                out->linetable != code.linetable) {
                return ADD_FAILURE() << "instruction/CFG layers changed " << code.filename << " " << code.qualname;
            }
            ++identical;
        });
    }
    EXPECT_EQ(identical, codes);
    RecordProperty("code_objects", static_cast<int>(codes));
}

TEST(StdlibRoundTrip, EveryAnalysisSucceeds) {
    const auto corpus = testing::load_corpus("stdlib.spco");
    std::size_t modules = 0;
    for (std::size_t m = 0; m < corpus.size(); m += 4 * SHRINKPY_TEST_STRIDE) {
        const AnalysisTotals t = totals(analyze_code(corpus[m]));
        EXPECT_EQ(t.failed, 0u) << corpus[m].filename;
        EXPECT_TRUE(analyze_imports(corpus[m])) << corpus[m].filename;
        EXPECT_TRUE(analyze_module_names(corpus[m])) << corpus[m].filename;
        ++modules;
    }
    EXPECT_GT(modules, 10u);
}

}  // namespace
}  // namespace shrinkpy::analyzer
