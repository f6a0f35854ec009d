// ====================================================================================================
// Import facts and module names on the corpus module; paired with tests/python/test_imports.py.
// ====================================================================================================
#include <gtest/gtest.h>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/imports.hpp"

namespace shrinkpy::analyzer {
namespace {

TEST(Imports, CorpusModule) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    auto imports = analyze_imports(corpus[0]);
    ASSERT_TRUE(imports) << imports.error().describe();
    ASSERT_EQ(imports->imports.size(), 1u);
    const ImportFact& asyncio = imports->imports[0];
    EXPECT_EQ(asyncio.module, "asyncio");
    EXPECT_EQ(asyncio.bound, "asyncio");
    EXPECT_EQ(asyncio.use, ImportUse::functions_only);  // only _run_async_for reads it
    EXPECT_EQ(asyncio.readers, std::vector<std::string>{"_run_async_for"});
    EXPECT_TRUE(imports->dynamic_reasons.empty());
}

TEST(ModuleNames, CorpusModule) {
    const auto corpus = testing::load_corpus("tricky.spco");
    auto names = analyze_module_names(corpus[0]);
    ASSERT_TRUE(names);
    bool saw_point = false, saw_calls = false;
    for (const ModuleNameFact& f : names->names) {
        if (f.name == "Point") {  // read by matcher's class pattern and by the CALLS table
            saw_point = true;
            EXPECT_EQ(f.read_by, std::vector<std::string>{"matcher"});
            EXPECT_FALSE(f.module_only);
            EXPECT_FALSE(f.last_use_lines.empty());
        }
        if (f.name == "CALLS") {
            saw_calls = true;
            EXPECT_TRUE(f.module_only);
            EXPECT_TRUE(f.last_use_lines.empty());
        }
    }
    EXPECT_TRUE(saw_point && saw_calls);
}

}  // namespace
}  // namespace shrinkpy::analyzer
