// ====================================================================================================
// The import pass: name uses, plan, rewrite, side-effect table, import-time effects. Corpus:
// tests/python/corpus/imports_main.py and imports_plugin.py (imports.spco); the whole stdlib for
// the rewrite's re-encoding. Paired with tests/python/test_import_rewrite.py.
// ====================================================================================================
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/cfg.hpp"
#include "shrinkpy/analyzer/eager_modules.hpp"
#include "shrinkpy/analyzer/import_plan.hpp"
#include "shrinkpy/analyzer/import_rewrite.hpp"
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/module_effects.hpp"
#include "shrinkpy/analyzer/name_uses.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

#ifndef SHRINKPY_TEST_STRIDE
#define SHRINKPY_TEST_STRIDE 1
#endif

namespace shrinkpy::analyzer {
namespace {

const CodeObject& main_module() {
    static const std::vector<CodeObject> corpus = testing::load_corpus("imports.spco");
    EXPECT_EQ(corpus.size(), 2u);
    return corpus.at(0);
}

const CodeObject& plugin_module() {
    static const std::vector<CodeObject> corpus = testing::load_corpus("imports.spco");
    return corpus.at(1);
}

std::map<std::string, const ImportDecision*> by_name(const ImportPlan& plan) {
    std::map<std::string, const ImportDecision*> out;
    for (const ImportDecision& d : plan.decisions) out[d.fact.bound.empty() ? d.fact.imported : d.fact.bound] = &d;
    return out;
}

TEST(ImportPlan, EveryImportOfTheCorpusGetsTheVerdictItsNameSays) {
    ImportPolicy policy;
    policy.eager_lines = {13};  // `import difflib as eager_pragma  # shrinkpy: eager`
    auto plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan) << plan.error().describe();
    const auto got = by_name(*plan);
    for (const auto& [name, d] : got) {
        SCOPED_TRACE(name + ": " + d->reason);
        if (name.rfind("deferred_", 0) == 0 || name == "email") {
            EXPECT_EQ(d->action, ImportAction::defer);
        } else {
            EXPECT_EQ(d->action, ImportAction::keep);
        }
    }
    EXPECT_EQ(got.at("sys")->reason, "read by module-level code");
    EXPECT_NE(got.at("never_read")->reason.find("never read"), std::string::npos);
    EXPECT_NE(got.at("eager_table")->reason.find("atexit"), std::string::npos);
    EXPECT_EQ(got.at("eager_pragma")->reason, "marked `# shrinkpy: eager`");
    EXPECT_NE(got.at("eager_argument")->reason.find("passed as an argument"), std::string::npos);
    EXPECT_NE(got.at("eager_identity")->reason.find("identity"), std::string::npos);
    EXPECT_NE(got.at("eager_truth")->reason.find("argument"), std::string::npos);  // bool(x)
    EXPECT_NE(got.at("eager_global")->reason.find("global"), std::string::npos);
    EXPECT_NE(got.at("eager_class_body")->reason.find("while the module is imported"), std::string::npos);
    EXPECT_NE(got.at("eager_try")->reason.find("try"), std::string::npos);
    EXPECT_NE(got.at("eager_except")->reason.find("except"), std::string::npos);
    EXPECT_EQ(plan->deferred(), 7u);  // json, 2 x email, ET, decimal, OrderedDict, ChainMap
}

TEST(ImportPlan, DropRemovesOnlyWhatIsNeverRead) {
    ImportPolicy policy;
    policy.mode = ImportMode::drop;
    auto plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan);
    const auto got = by_name(*plan);
    EXPECT_EQ(got.at("never_read")->action, ImportAction::drop);
    EXPECT_EQ(plan->dropped(), 1u);
    policy.mode = ImportMode::off;
    auto off = plan_imports(main_module(), policy);
    ASSERT_TRUE(off);
    EXPECT_EQ(off->deferred() + off->dropped(), 0u);
}

TEST(ImportPlan, UserMarksAndTheProbeKeepImportsEager) {
    ImportPolicy policy;
    policy.eager_modules = {"xml"};
    std::vector<std::string> asked;
    policy.probe = [&](const ImportFact& f) -> std::string {
        asked.push_back(f.module + ":" + f.imported);
        return f.module == "json" ? "not found" : "";
    };
    auto plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan);
    const auto got = by_name(*plan);
    EXPECT_EQ(got.at("deferred_et")->reason, "marked eager by the user (xml)");
    EXPECT_EQ(got.at("deferred_json")->reason, "not found");
    EXPECT_EQ(got.at("deferred_decimal")->action, ImportAction::defer);
    // Asked once per (module, level, name), only about imports about to change.
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "email.message:"), 1);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "sys:"), 0);
}

TEST(ImportPlan, ASubmoduleReadButNeverImportedComesWithItsDeferredBinding) {
    ImportPolicy policy;
    policy.eager_lines = {13};
    std::vector<std::string> asked;
    policy.is_submodule = [&](const std::string& module) {
        asked.push_back(module);
        return module == "json.dumps";  // a stand-in: the corpus is never run
    };
    auto plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->deferred(), 7u);
    EXPECT_EQ(by_name(*plan).at("deferred_json")->also_import, std::vector<std::string>{"json.dumps"});
    EXPECT_TRUE(by_name(*plan).at("deferred_et")->also_import.empty());
    // email.message and email.policy are imported explicitly: never asked about.
    EXPECT_EQ(std::find(asked.begin(), asked.end(), "email.message"), asked.end());
    auto rewritten = rewrite_imports(main_module(), policy);
    ASSERT_TRUE(rewritten) << rewritten.error().describe();
    bool json_spec = false;
    for (const Constant& c : rewritten->code.consts) {
        if (c.kind == Constant::Kind::tuple && c.items.size() == 7 && c.items[3].text == "deferred_json") {
            json_spec = c.items[6].items.size() == 1 && c.items[6].items[0].text == "json.dumps";
        }
    }
    EXPECT_TRUE(json_spec);

    // Read through a binding that stays eager (sys: read at module level), nothing can carry it.
    policy.is_submodule = [](const std::string& module) { return module == "sys.argv"; };
    plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->deferred(), 0u);
    EXPECT_NE(by_name(*plan).at("deferred_et")->reason.find("reads sys.argv"), std::string::npos);
}

TEST(ImportPlan, ModulesOtherThanMainKeepImportsThatLoadSubmodules) {
    ImportPolicy policy;
    policy.is_main = false;
    policy.is_submodule = [](const std::string& module) { return module == "collections.OrderedDict"; };
    auto plan = plan_imports(plugin_module(), policy);  // names imported there are public: kept anyway
    ASSERT_TRUE(plan);
    auto main_plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(main_plan);
    EXPECT_EQ(main_plan->deferred(), 0u);
}

TEST(ImportPlan, ModulesOtherThanMainKeepPublicNamesWithoutAll) {
    ImportPolicy policy;
    policy.is_main = false;
    auto plan = plan_imports(main_module(), policy);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->deferred(), 0u);
    EXPECT_NE(by_name(*plan).at("deferred_json")->reason.find("__all__"), std::string::npos);
}

TEST(ImportRewrite, DeferredStatementsBecomeCallsAndTheCodeReDecodes) {
    ImportPolicy policy;
    policy.eager_lines = {13};
    auto rewritten = rewrite_imports(main_module(), policy);
    ASSERT_TRUE(rewritten) << rewritten.error().describe();
    ASSERT_TRUE(rewritten->changed);
    const CodeObject& code = rewritten->code;
    EXPECT_EQ(rewritten->consts_added, 7u);
    EXPECT_EQ(rewritten->names_added, 1u);
    EXPECT_EQ(code.names.back(), kDeferFunction);
    EXPECT_EQ(code.consts.size(), main_module().consts.size() + 7);
    EXPECT_GE(code.stacksize, 3);
    auto list = decode_instructions(code);
    ASSERT_TRUE(list) << list.error().describe();
    std::size_t calls = 0, imports = 0;
    for (std::size_t i = 0; i < list->instrs.size(); ++i) {
        const Instr& in = list->instrs[i];
        if (in.opcode == *opcode_by_name("IMPORT_NAME")) ++imports;
        if (in.opcode != *opcode_by_name("CALL_FUNCTION_EX")) continue;
        ++calls;
        ASSERT_GE(i, 3u);
        EXPECT_EQ(list->instrs[i - 3].opcode, *opcode_by_name("PUSH_NULL"));
        EXPECT_EQ(code.names[list->instrs[i - 2].arg], kDeferFunction);
        const Constant& spec = code.consts[list->instrs[i - 1].arg];
        ASSERT_EQ(spec.kind, Constant::Kind::tuple);
        ASSERT_EQ(spec.items.size(), 7u);
        // The call keeps the line of the import it replaces, and the spec says where it was written.
        EXPECT_EQ(spec.items[5].text, code.filename + ":" + std::to_string(in.position.line));
    }
    EXPECT_EQ(calls, 7u);
    EXPECT_EQ(imports, 11u);  // 17 statements, 6 of them deferred (the from-import binds two names)
    // The xml.etree.ElementTree spec binds the submodule; email.message binds the package.
    bool saw_et = false;
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::tuple && c.items.size() == 7 && c.items[3].text == "deferred_et") {
            saw_et = true;
            EXPECT_EQ(c.items[0].text, "xml.etree.ElementTree");
            EXPECT_EQ(c.items[1].kind, Constant::Kind::none);
            EXPECT_EQ(c.items[4].text, "True");
        }
    }
    EXPECT_TRUE(saw_et);
    // Nested code objects are shared, not copied.
    for (std::size_t i = 0; i < main_module().consts.size(); ++i) {
        if (main_module().consts[i].kind == Constant::Kind::code) {
            EXPECT_EQ(code.consts[i].code.get(), main_module().consts[i].code.get());
        }
    }
}

TEST(ImportRewrite, DroppedStatementsLeaveANopOnTheirLine) {
    ImportPolicy policy;
    policy.mode = ImportMode::drop;
    auto rewritten = rewrite_imports(main_module(), policy);
    ASSERT_TRUE(rewritten) << rewritten.error().describe();
    auto list = decode_instructions(rewritten->code);
    ASSERT_TRUE(list);
    const std::int32_t never_line = by_name(rewritten->plan).at("never_read")->fact.line;
    bool nop = false;
    for (const Instr& in : list->instrs) {
        if (in.position.line == never_line) {
            EXPECT_EQ(in.opcode, *opcode_by_name("NOP"));
            nop = true;
        }
    }
    EXPECT_TRUE(nop);
}

TEST(ImportRewrite, EveryStdlibModuleRewritesToCodeThatReDecodes) {
    const auto corpus = testing::load_corpus("stdlib.spco");
    ASSERT_GT(corpus.size(), 1000u);
    std::size_t changed = 0;
    for (std::size_t m = 0; m < corpus.size(); m += SHRINKPY_TEST_STRIDE) {
        for (ImportMode mode : {ImportMode::defer, ImportMode::drop}) {
            ImportPolicy policy;
            policy.mode = mode;
            auto rewritten = rewrite_imports(corpus[m], policy);
            ASSERT_TRUE(rewritten) << corpus[m].filename << ": " << rewritten.error().describe();
            if (!rewritten->changed) continue;
            ++changed;
            auto list = decode_instructions(rewritten->code);
            ASSERT_TRUE(list) << corpus[m].filename;
            auto cfg = build_cfg(*list);
            ASSERT_TRUE(cfg) << corpus[m].filename;
            EXPECT_LE(cfg->max_depth, rewritten->code.stacksize) << corpus[m].filename;
        }
    }
    EXPECT_GT(changed, 100u / SHRINKPY_TEST_STRIDE);
}

TEST(NameUses, KindsOfEachRead) {
    const std::vector<std::string> names = {"deferred_json",  "deferred_class",   "deferred_tuple_class",
                                            "eager_argument", "eager_class_body", "eager_except"};
    std::map<std::string, std::vector<NameUse>> uses;
    for (NameUse& u : global_name_uses(main_module(), names)) uses[u.name].push_back(u);
    ASSERT_EQ(uses["deferred_json"].size(), 1u);
    EXPECT_EQ(uses["deferred_json"][0].kind, NameUseKind::attribute);
    EXPECT_EQ(uses["deferred_json"][0].code_qualname, "reads");
    EXPECT_FALSE(uses["deferred_json"][0].at_import_time);
    EXPECT_EQ(uses["deferred_class"][0].kind, NameUseKind::class_check);
    EXPECT_EQ(uses["deferred_tuple_class"][0].kind, NameUseKind::class_check);  // inside the tuple
    EXPECT_EQ(uses["eager_argument"][0].kind, NameUseKind::unsafe);
    EXPECT_EQ(uses["eager_except"][0].kind, NameUseKind::unsafe);
    ASSERT_EQ(uses["eager_class_body"].size(), 1u);
    EXPECT_TRUE(uses["eager_class_body"][0].at_import_time);
    EXPECT_EQ(uses["eager_class_body"][0].kind, NameUseKind::attribute);
}

TEST(EagerModules, SubmodulesFollowTheirPackageOnlyWhenListed) {
    ASSERT_NE(find_eager_module("logging.handlers"), nullptr);
    EXPECT_EQ(find_eager_module("logging.handlers")->name, "logging");
    EXPECT_EQ(find_eager_module("loggingx"), nullptr);
    EXPECT_NE(find_eager_module("readline"), nullptr);
    EXPECT_EQ(find_eager_module("json"), nullptr);
    for (const EagerModule& e : eager_modules()) EXPECT_FALSE(e.reason.empty()) << e.name;
    EXPECT_TRUE(module_within("a.b", "a"));
    EXPECT_FALSE(module_within("ab", "a"));
}

TEST(ImportEffects, RegistrationsHandlersAndPatchesOutsideTheMainGuard) {
    const std::vector<std::string> effects = import_effects(plugin_module());
    const auto has = [&](const std::string& needle) {
        return std::any_of(effects.begin(), effects.end(),
                           [&](const std::string& e) { return e.find(needle) != std::string::npos; });
    };
    EXPECT_TRUE(has("calls atexit.register()"));
    EXPECT_TRUE(has("calls signal.signal()"));
    EXPECT_TRUE(has("sets an item of registry.REGISTRY"));
    EXPECT_TRUE(has("calls registry.register()"));
    EXPECT_FALSE(has("signal.alarm"));  // under `if __name__ == "__main__":`
    EXPECT_FALSE(has("print"));         // atexit.register(print) passes print, does not call it
    EXPECT_EQ(import_effects(main_module()), std::vector<std::string>{"line 48: calls print()"});
}

TEST(AnnotationIdentifiers, TypeExpressionsButNotProse) {
    EXPECT_EQ(annotation_identifiers("np.ndarray"), std::vector<std::string>{"np"});
    EXPECT_EQ(annotation_identifiers("Optional[Foo]"), (std::vector<std::string>{"Optional", "Foo"}));
    EXPECT_EQ(annotation_identifiers("dict[str, 'Bar'] | None"),
              (std::vector<std::string>{"dict", "str", "Bar", "None"}));
    EXPECT_TRUE(annotation_identifiers("parse json files").empty());
    EXPECT_TRUE(annotation_identifiers("a-b").empty());
    EXPECT_TRUE(annotation_identifiers("").empty());
}

}  // namespace
}  // namespace shrinkpy::analyzer
