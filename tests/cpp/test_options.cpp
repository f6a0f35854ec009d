#include "options.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace shrinkpy::runtime {
namespace {

struct Env {
    std::map<std::string, std::string> vars;
    Options::Lookup lookup() const {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

TEST(ParseNumber, PlainAndSuffixed) {
    EXPECT_EQ(parse_number("0"), 0u);
    EXPECT_EQ(parse_number("10"), 10u);
    EXPECT_EQ(parse_number("64K"), 64u << 10);
    EXPECT_EQ(parse_number("64m"), 64u << 20);
    EXPECT_EQ(parse_number("2G"), uint64_t{2} << 30);
    EXPECT_FALSE(parse_number(""));
    EXPECT_FALSE(parse_number("M"));
    EXPECT_FALSE(parse_number("12x"));
    EXPECT_FALSE(parse_number("-1"));
    EXPECT_FALSE(parse_number("1.5M"));
    EXPECT_FALSE(parse_number("99999999999999999999"));
    EXPECT_FALSE(parse_number("17179869184G"));  // overflows 64 bits
}

TEST(Options, DefaultsWhenNothingIsSet) {
    Env env;
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    EXPECT_TRUE(warnings.empty());
    for (const OptionSpec& spec : option_table()) {
        EXPECT_EQ(o.text(spec.id), spec.default_value) << spec.env;
        EXPECT_EQ(o.source(spec.id), OptionSource::built_in_default) << spec.env;
    }
}

TEST(Options, ValidValuesAreTaken) {
    Env env{{{"SHRINKPY_ALLOCATOR", "mimalloc"}, {"SHRINKPY_REPORT", "out.json"}, {"SHRINKPY_SAMPLE_INTERVAL", "5"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    EXPECT_EQ(o.text(OptionId::allocator), "mimalloc");
    EXPECT_EQ(o.source(OptionId::allocator), OptionSource::environment);
    EXPECT_EQ(o.text(OptionId::report), "out.json");
    EXPECT_EQ(o.number(OptionId::sample_interval), 5u);
}

TEST(Options, EarlyFreeingDefaultsToSafeAndRejectsUnknownModesWithAWarning) {
    Env env{{{"SHRINKPY_EARLY_FREE", "reckless"}, {"SHRINKPY_REWRITE", "all"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("SHRINKPY_EARLY_FREE=reckless is not one of: off, safe, aggressive"), std::string::npos);
    EXPECT_EQ(o.text(OptionId::early_free), "safe");
    EXPECT_EQ(o.text(OptionId::rewrite), "all");
    EXPECT_EQ(o.text(OptionId::early_free_ignore), "");
}

TEST(Options, UnknownAllocatorIsAnErrorThatNamesTheChoices) {
    Env env{{{"SHRINKPY_ALLOCATOR", "jemalloc"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options::read(env.lookup(), warnings, error);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("SHRINKPY_ALLOCATOR=jemalloc"), std::string::npos);
    EXPECT_NE(error->find("pymalloc, malloc, mimalloc"), std::string::npos);
}

TEST(Options, MalformedNonStrictValueWarnsAndKeepsDefault) {
    Env env{{{"SHRINKPY_SAMPLE_INTERVAL", "often"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("SHRINKPY_SAMPLE_INTERVAL=often"), std::string::npos);
    EXPECT_EQ(o.number(OptionId::sample_interval), 10u);
    EXPECT_EQ(o.source(OptionId::sample_interval), OptionSource::built_in_default);
}

TEST(Options, SizesTakeSuffixes) {
    Env env{{{"SHRINKPY_MAX_HEAP", "64M"}, {"SHRINKPY_ARENA_RETAIN", "0"}, {"SHRINKPY_ARENA_POOL_BLOCKS", "16"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(o.number(OptionId::max_heap), 64u << 20);
    EXPECT_EQ(o.number(OptionId::arena_retain), 0u);
    EXPECT_EQ(o.number(OptionId::arena_pool_blocks), 16u);
    EXPECT_EQ(o.number(OptionId::arena_reserve), uint64_t{16} << 30);  // the default
}

TEST(Options, BadSizesAndCountsWarnAndKeepTheDefault) {
    Env env{{{"SHRINKPY_MAX_HEAP", "lots"},
             {"SHRINKPY_ARENA_POOL_BLOCKS", "8K"},
             {"SHRINKPY_ARENA_LARGE", "1.5M"},
             {"SHRINKPY_ARENA_RETAIN", "-1"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    ASSERT_EQ(warnings.size(), 4u);
    EXPECT_NE(warnings[0].find("SHRINKPY_MAX_HEAP=lots is not a number (with K, M or G) of bytes"), std::string::npos)
        << warnings[0];
    EXPECT_EQ(o.number(OptionId::max_heap), 0u);
    EXPECT_EQ(o.number(OptionId::arena_pool_blocks), 8u);
    EXPECT_EQ(o.number(OptionId::arena_large), 64u << 10);
    EXPECT_EQ(o.number(OptionId::arena_retain), 256u << 10);
}

TEST(Options, EmptyChoiceMeansUnset) {
    Env env{{{"SHRINKPY_ALLOCATOR", ""}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    EXPECT_EQ(o.source(OptionId::allocator), OptionSource::built_in_default);
}

TEST(Options, JsonListsEveryOption) {
    Env env{{{"SHRINKPY_REPORT", "a \"quoted\"\npath"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    std::string json = format_options(Options::read(env.lookup(), warnings, error), true);
    for (const OptionSpec& spec : option_table()) EXPECT_NE(json.find(spec.env), std::string::npos);
    EXPECT_NE(json.find(R"("value":"a \"quoted\"\npath")"), std::string::npos);
    EXPECT_NE(json.find(R"("choices":["arena","pymalloc","malloc","mimalloc","pymalloc-indirect"])"),
              std::string::npos);
}

// A board's interpreter (boards/) has its profile's values compiled in; the environment still wins.
TEST(BoardDefaults, ApplyUnderTheEnvironment) {
    Env env{{{"SHRINKPY_GC_THRESHOLD", "900"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), "SHRINKPY_ALLOCATOR=malloc,SHRINKPY_GC_THRESHOLD=500", warnings, error);
    EXPECT_FALSE(error);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(o.text(OptionId::allocator), "malloc");
    EXPECT_EQ(o.source(OptionId::allocator), OptionSource::board);
    EXPECT_EQ(o.number(OptionId::gc_threshold), 900u);
    EXPECT_EQ(o.source(OptionId::gc_threshold), OptionSource::environment);
    EXPECT_EQ(o.source(OptionId::report), OptionSource::built_in_default);
    EXPECT_NE(format_options(o, true).find(R"("source":"board")"), std::string::npos);
}

TEST(BoardDefaults, AnInvalidOneIsAnError) {
    for (const char* board :
         {"SHRINKPY_ALLOCATOR=tcmalloc", "SHRINKPY_NO_SUCH=1", "SHRINKPY_ALLOCATOR", "SHRINKPY_GC_THRESHOLD=many"}) {
        Env env;
        std::vector<std::string> warnings;
        std::optional<std::string> error;
        Options::read(env.lookup(), board, warnings, error);
        EXPECT_TRUE(error) << board;
    }
}

TEST(BoardDefaults, NoneInShrinkpythonItself) {
    EXPECT_EQ(board_defaults(), "");
    EXPECT_EQ(board_name(), "");
}

TEST(Options, GcThresholdIsAWholeNumber) {
    Env env{{{"SHRINKPY_GC_THRESHOLD", "-5"}}};
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options o = Options::read(env.lookup(), warnings, error);
    EXPECT_FALSE(error);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(o.number(OptionId::gc_threshold), 700u);
}

}  // namespace
}  // namespace shrinkpy::runtime
