// ====================================================================================================
// The early-freeing rewriter without an interpreter: per-opcode stack inputs, the policy on the
// plain-data corpus (tests/python/corpus/plain_data.py, whose SAFE/AGGRESSIVE tables these mirror),
// and every code object of the tricky corpus and of the stdlib rewritten in both modes: the output
// decodes, and no release is ever followed by a read or finds its variable unbound, checked here
// independently of the rewriter's own checks. Paired with tests/python/test_rewrite.py.
// ====================================================================================================
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "shrinkpy/analyzer/provenance.hpp"
#include "shrinkpy/analyzer/rewrite.hpp"

#ifndef SHRINKPY_TEST_STRIDE
#define SHRINKPY_TEST_STRIDE 1
#endif

namespace shrinkpy::analyzer {
namespace {

constexpr std::uint8_t kStoreFast = 125, kLoadConst = 100;  // opcodes_311.hpp is internal to the library

using Released = std::map<std::string, std::set<std::string>>;  // qualname -> variables

Released released(const RewriteResult& r) {
    Released out;
    for (const Release& rel : r.releases) out[rel.qualname].insert(rel.name);
    return out;
}

RewriteResult rewrite_or_fail(const CodeObject& module, ReleasePolicy policy) {
    auto r = rewrite_module(module, policy);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    return r.ok() ? std::move(r).value() : RewriteResult{};
}

// Pairs each code object of `code` with its rewritten form (children in co_consts order).
void for_each_rewritten(const CodeObject& code, const RewrittenCode& rw,
                        const std::function<void(const CodeObject&, const RewrittenCode&)>& fn) {
    fn(code, rw);
    std::size_t child = 0;
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code && child < rw.children.size())
            for_each_rewritten(*c.code, rw.children[child++], fn);
    }
}

// The rewritten code object as the interpreter will see it.
CodeObject apply(const CodeObject& code, const RewrittenCode& rw) {
    CodeObject out = code;
    out.code = rw.code;
    out.exceptiontable = rw.exceptiontable;
    out.linetable = rw.linetable;
    out.stacksize = rw.stacksize;
    if (rw.append_counter) out.consts.push_back(Constant{});  // stands for the counter: only its index matters here
    if (rw.append_none) out.consts.push_back(Constant{});
    return out;
}

// Reachable loads and deletes, per variable, that find it possibly unbound.
std::map<std::string, int> unbound_accesses(const CodeAnalysis& a, const SlotUniverse& vars, const Boundness& bound) {
    std::map<std::string, int> out;
    for (std::uint32_t i = 0; i < a.instrs->instrs.size(); ++i) {
        const SlotAccess acc = vars.access(a.instrs->instrs[i]);
        if (acc.kind == AccessKind::none || acc.kind == AccessKind::store || !a.cfg->reachable(a.cfg->block_of[i]))
            continue;
        if (!bound.bound_before.test(i, static_cast<std::size_t>(acc.slot)))
            ++out[vars.names[static_cast<std::size_t>(acc.slot)]];
    }
    return out;
}

// Independent check of one rewritten code object, without knowing where the rewriter put its
// releases: the code decodes and passes every validator, its stack fits co_stacksize, and no read
// or delete of any variable finds it possibly unbound where the original did not (a release
// followed by a read, or a delete of something not bound, would add one).
void check_rewritten(const CodeObject& original, const RewrittenCode& rw, bool module_level) {
    if (!rw.changed) return;
    const CodeObject code = apply(original, rw);
    const AnalyzeOptions options{.recursive = false, .validate = true};
    const CodeAnalysis a = analyze_code(code, options);
    const CodeAnalysis before = analyze_code(original, options);
    ASSERT_FALSE(a.error) << code.qualname << ": " << a.error->describe();
    ASSERT_FALSE(before.error) << code.qualname << ": " << before.error->describe();
    EXPECT_LE(a.cfg->max_depth, code.stacksize) << code.qualname;
    const bool names = module_level && (code.flags & 0x0002) == 0;
    const SlotUniverse vars = names ? name_slots(code) : a.locals;
    const BoundnessOptions bind{.loads_bind = !names};
    const auto now = unbound_accesses(a, vars, names ? compute_boundness(*a.cfg, vars, bind) : a.bound);
    const auto was = unbound_accesses(before, vars, names ? compute_boundness(*before.cfg, vars, bind) : before.bound);
    for (const auto& [name, count] : now) {
        const auto it = was.find(name);
        EXPECT_LE(count, it == was.end() ? 0 : it->second)
            << code.qualname << ": " << name << " read or deleted after its release";
    }
}

void check_module(const CodeObject& module, const RewriteResult& r, bool main) {
    std::size_t n = 0;
    for_each_rewritten(module, r.root, [&](const CodeObject& code, const RewrittenCode& rw) {
        check_rewritten(code, rw, main && n++ == 0);
    });
    for (const Skip& s : r.skips) EXPECT_NE(s.rule, "error") << s.qualname << ": " << s.reason;
}

TEST(StackIO, AgreesWithStackEffectForEveryOpcode) {
    for (int op = 0; op < 256; ++op) {
        for (std::uint32_t arg : {0u, 1u, 2u, 3u, 7u, 8u, 15u, 255u, 256u, 0x10Fu}) {
            for (bool jump : {false, true}) {
                const auto effect = stack_effect(static_cast<std::uint8_t>(op), arg, jump);
                const auto io = stack_io(static_cast<std::uint8_t>(op), arg, jump);
                if (op == 0 || op == 144) continue;  // CACHE and EXTENDED_ARG are not instructions
                ASSERT_EQ(effect.has_value(), io.has_value()) << opcode_name(op);
                if (effect) {
                    EXPECT_EQ(io->pushes - io->pops, *effect) << opcode_name(op) << " " << arg << " " << jump;
                }
            }
        }
    }
}

TEST(Policy, SafeReleasesOnlyPlainData) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    ASSERT_EQ(corpus.size(), 1u);
    const Released got = released(rewrite_or_fail(corpus[0], ReleasePolicy{}));
    EXPECT_EQ(got.at("temporaries"), (std::set<std::string>{"text", "rows", "widths"}));
    EXPECT_EQ(got.at("resources"), (std::set<std::string>{"fd", "address", "facts"}));
    EXPECT_EQ(got.at("tainted"), (std::set<std::string>{"sizes", "count"}));
    EXPECT_EQ(got.at("handles"), (std::set<std::string>{"address", "size"}));
    EXPECT_EQ(got.at("diagonal"), (std::set<std::string>{"x"}));
    EXPECT_EQ(got.count("concatenate"), 0u);
    EXPECT_EQ(got.at("helper_result"), (std::set<std::string>{"table", "size"}));
    EXPECT_EQ(got.at("maybe_bound"), (std::set<std::string>{"cache", "i"}));
}

TEST(Policy, AggressiveDropsTheResourceRules) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    ASSERT_EQ(corpus.size(), 1u);
    const Released got = released(rewrite_or_fail(corpus[0], ReleasePolicy{.mode = EarlyFreeMode::aggressive}));
    EXPECT_EQ(got.at("resources"),
              (std::set<std::string>{"workspace", "where", "sock", "fd", "buffer", "address", "facts"}));
    EXPECT_EQ(got.at("tainted"), (std::set<std::string>{"names", "locks", "sizes", "table", "alias", "count"}));
    EXPECT_EQ(got.at("concatenate"), (std::set<std::string>{"parts", "s"}));
}

TEST(Policy, ObserversDecoratorAndPragmaSkip) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    ASSERT_EQ(corpus.size(), 1u);
    const CodeObject* kept = testing::find_code(corpus, "kept");
    ASSERT_NE(kept, nullptr);
    ReleasePolicy policy;
    policy.keep_lines = {kept->firstlineno + 1};  // `data = list(range(n))  # shrinkpy: keep`
    const RewriteResult r = rewrite_or_fail(corpus[0], policy);
    std::map<std::string, std::string> skipped;
    for (const Skip& s : r.skips) skipped[s.qualname] = s.rule;
    EXPECT_EQ(skipped.at("uses_locals"), "locals");
    EXPECT_EQ(skipped.at("decorated"), "no_early_free");
    EXPECT_EQ(released(r).at("kept"), (std::set<std::string>{"total"}));
    policy.keep_lines = {kept->firstlineno};  // on the def line: the whole function
    const RewriteResult whole = rewrite_or_fail(corpus[0], policy);
    EXPECT_EQ(released(whole).count("kept"), 0u);
    // A switched-off rule stops skipping.
    policy.keep_lines.clear();
    policy.ignored_rules = {"locals"};
    EXPECT_EQ(released(rewrite_or_fail(corpus[0], policy)).count("uses_locals"), 1u);
}

TEST(Policy, ReleaseKindsAndForms) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    ASSERT_EQ(corpus.size(), 1u);
    const RewriteResult r = rewrite_or_fail(corpus[0], ReleasePolicy{});
    std::map<std::pair<std::string, std::string>, std::set<ReleaseKind>> kinds;
    bool maybe_unbound_cache = false;
    for (const Release& rel : r.releases) {
        kinds[{rel.qualname, rel.name}].insert(rel.kind);
        if (rel.qualname == "maybe_bound" && rel.name == "cache") maybe_unbound_cache = rel.maybe_unbound;
    }
    // x = x * 2.0 and x = np.sqrt(x): released before the operation; x.sum(): after its last use.
    const std::set<ReleaseKind> diagonal_x = kinds[std::make_pair(std::string("diagonal"), std::string("x"))];
    const std::set<ReleaseKind> cache = kinds[std::make_pair(std::string("maybe_bound"), std::string("cache"))];
    EXPECT_EQ(diagonal_x, (std::set<ReleaseKind>{ReleaseKind::before_operation, ReleaseKind::after_last_use}));
    EXPECT_EQ(cache, (std::set<ReleaseKind>{ReleaseKind::on_entry}));
    EXPECT_TRUE(maybe_unbound_cache);  // bound only when flag was true: LOAD_CONST None; STORE_FAST
    const CodeObject* maybe = testing::find_code(corpus, "maybe_bound");
    ASSERT_NE(maybe, nullptr);
    std::size_t k = 0, index = 0;
    for (const Constant& c : corpus[0].consts) {
        if (c.kind != Constant::Kind::code) continue;
        if (c.code.get() == maybe) index = k;
        ++k;
    }
    const CodeObject out = apply(*maybe, r.root.children[index]);
    const auto list = decode_instructions(out);
    ASSERT_TRUE(list.ok());
    bool none_store = false;
    for (std::size_t i = 0; i + 1 < list->instrs.size(); ++i) {
        const Instr& a = list->instrs[i];
        const Instr& b = list->instrs[i + 1];
        none_store = none_store || (a.opcode == kLoadConst && out.consts[a.arg].kind == Constant::Kind::none &&
                                    b.opcode == kStoreFast && out.localsplus_names[b.arg] == "cache");
    }
    EXPECT_TRUE(none_store) << dump(*list);
}

TEST(Policy, ModuleLevelOfMainReleasesItsOwnNames) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    ASSERT_EQ(corpus.size(), 1u);
    const RewriteResult as_module = rewrite_or_fail(corpus[0], ReleasePolicy{});
    EXPECT_EQ(released(as_module).count("<module>"), 0u);
    const RewriteResult as_main = rewrite_or_fail(corpus[0], ReleasePolicy{.module_is_main = true});
    EXPECT_EQ(released(as_main).at("<module>"), (std::set<std::string>{"TABLE"}));
    check_module(corpus[0], as_main, true);
}

TEST(Rewrite, TrickyCorpusInBothModes) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    for (EarlyFreeMode mode : {EarlyFreeMode::safe, EarlyFreeMode::aggressive}) {
        for (bool main : {false, true}) {
            const RewriteResult r = rewrite_or_fail(corpus[0], ReleasePolicy{.mode = mode, .module_is_main = main});
            EXPECT_GT(r.releases.size(), mode == EarlyFreeMode::aggressive ? 100u : 0u);
            check_module(corpus[0], r, main);
        }
    }
}

TEST(Rewrite, WholeStdlibInBothModes) {
    const auto corpus = testing::load_corpus("stdlib.spco");
    ASSERT_GT(corpus.size(), 1000u);
    std::size_t releases = 0;
    for (std::size_t m = 0; m < corpus.size(); m += SHRINKPY_TEST_STRIDE) {
        const bool main = m % 2 == 0;
        const EarlyFreeMode mode = m % 3 == 0 ? EarlyFreeMode::aggressive : EarlyFreeMode::safe;
        const RewriteResult r = rewrite_or_fail(corpus[m], ReleasePolicy{.mode = mode, .module_is_main = main});
        releases += r.releases.size();
        check_module(corpus[m], r, main);
        if (HasFailure()) {
            ADD_FAILURE() << "in " << corpus[m].filename;
            return;
        }
    }
    EXPECT_GT(releases, 10000u / SHRINKPY_TEST_STRIDE);
}

// With count_releases each release is followed by a call of the appended constant, and the code
// still passes every check: one counter call per release, in every rewritten code object.
TEST(Rewrite, CountedReleasesCallTheCounterOncePerRelease) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    const RewriteResult r = rewrite_or_fail(corpus[0], ReleasePolicy{.count_releases = true});
    ASSERT_FALSE(r.releases.empty());
    check_module(corpus[0], r, false);
    std::map<std::string, std::size_t> releases, calls;
    for (const Release& rel : r.releases) ++releases[rel.qualname];
    for_each_rewritten(corpus[0], r.root, [&](const CodeObject& code, const RewrittenCode& rw) {
        if (!rw.changed) return;
        EXPECT_TRUE(rw.append_counter) << code.qualname;
        const CodeObject out = apply(code, rw);
        const auto list = decode_instructions(out);
        ASSERT_TRUE(list.ok());
        const std::uint32_t counter = static_cast<std::uint32_t>(code.consts.size());
        for (const Instr& in : list->instrs) calls[code.qualname] += in.opcode == kLoadConst && in.arg == counter;
    });
    EXPECT_EQ(calls, releases);
}

TEST(Rewrite, RefusesAFunctionsCode) {
    const auto corpus = testing::load_corpus("plain_data.spco");
    const CodeObject* f = testing::find_code(corpus, "temporaries");
    ASSERT_NE(f, nullptr);
    const auto r = rewrite_module(*f, ReleasePolicy{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("module"), std::string::npos);
}

}  // namespace
}  // namespace shrinkpy::analyzer
