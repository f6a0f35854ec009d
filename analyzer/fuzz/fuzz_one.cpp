// ====================================================================================================
// The fuzz body. Besides "never crash", it checks one property on every input that decodes:
// assembling the decoded instructions gives bytes that decode to the same instructions again
// (assemble()'s own check), and a list that went through the CFG assembles identically.
// ====================================================================================================
#include "fuzz_one.hpp"

#include <cstdio>
#include <cstdlib>

#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/imports.hpp"
#include "shrinkpy/analyzer/serialize.hpp"
#include "shrinkpy/analyzer/version_gate.hpp"

namespace shrinkpy::analyzer::fuzz {
namespace {

[[noreturn]] void fail(const char* what, const Error& e) {
    std::fprintf(stderr, "fuzz self-check failed: %s: %s\n", what, e.describe().c_str());
    std::abort();
}

}  // namespace

void run_code(const CodeObject& code) {
    auto list = decode_instructions(code);
    if (list) {
        auto once = assemble(*list);
        // A decoded list always assembles; the check inside assemble() compares the re-decoded result.
        if (!once) fail("assemble(decoded)", once.error());
        auto cfg = build_cfg(*list);
        if (cfg) {
            auto back = cfg->to_instructions();
            if (!back) fail("Cfg::to_instructions", back.error());
            auto twice = assemble(*back);
            if (!twice) fail("assemble(cfg)", twice.error());
            if (twice->code != once->code || twice->exceptiontable != once->exceptiontable ||
                twice->linetable != once->linetable) {
                std::fprintf(stderr, "fuzz self-check failed: the CFG changed the assembled code\n");
                std::abort();
            }
        }
    }
    AnalyzeOptions options;
    options.validate = true;
    const CodeAnalysis analysis = analyze_code(code, options);
    if (analysis.error && analysis.error->reason.rfind("internal:", 0) == 0) fail("validator", *analysis.error);
    (void)analyze_imports(code);
    (void)analyze_module_names(code);
}

void run_bytes(std::string_view data) {
    (void)read_pyc_header(data);
    auto corpus = deserialize(data);
    if (corpus) {
        for (const CodeObject& code : *corpus) run_code(code);
        return;
    }
    CodeObject code;
    if (data.size() < 3) return;
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(data[i]); };
    const std::size_t rest = data.size() - 3;
    const std::size_t code_len = rest * b(0) / 255 & ~std::size_t{1};
    const std::size_t exc_len = (rest - code_len) * b(1) / 255;
    code.firstlineno = b(2);
    code.code = std::string(data.substr(3, code_len));
    code.exceptiontable = std::string(data.substr(3 + code_len, exc_len));
    code.linetable = std::string(data.substr(3 + code_len + exc_len));
    code.localsplus_names = {"a", "b", "c"};
    code.localsplus_kinds = std::string("\x20\x20\x40", 3);
    code.names = {"x", "__all__"};
    code.argcount = 1;
    run_code(code);
}

}  // namespace shrinkpy::analyzer::fuzz
