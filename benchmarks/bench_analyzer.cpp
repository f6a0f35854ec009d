// ====================================================================================================
// Decode + CFG + liveness (+ boundness, last uses) over every code object of the CPython 3.11
// stdlib, read from the SPCO corpus the build writes (analyzer/tools/dump_codes.py --stdlib).
// A benchmark, not a test; target: one whole-stdlib pass under 2 s here.
//   cmake --build build --target bench_analyzer && build/benchmarks/bench_analyzer
// ====================================================================================================
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/serialize.hpp"

namespace {

using namespace shrinkpy::analyzer;

const std::vector<CodeObject>& stdlib() {
    static const std::vector<CodeObject> corpus = [] {
        std::ifstream in(SHRINKPY_ANALYZER_CORPUS, std::ios::binary);
        std::stringstream buffer;
        buffer << in.rdbuf();
        auto codes = deserialize(buffer.str());
        return codes ? std::move(codes).value() : std::vector<CodeObject>{};
    }();
    return corpus;
}

void StdlibDecodeCfgLiveness(benchmark::State& state) {
    const auto& corpus = stdlib();
    if (corpus.empty()) {
        state.SkipWithError("stdlib corpus missing: build the analyzer_corpora target");
        return;
    }
    AnalyzeOptions options;
    options.validate = false;
    AnalysisTotals last;
    for (auto _ : state) {
        AnalysisTotals sum;
        for (const CodeObject& module : corpus) {
            const AnalysisTotals t = totals(analyze_code(module, options));
            sum.code_objects += t.code_objects;
            sum.failed += t.failed;
            sum.instructions += t.instructions;
        }
        last = sum;
        benchmark::DoNotOptimize(sum);
    }
    state.counters["modules"] = static_cast<double>(corpus.size());
    state.counters["code_objects"] = static_cast<double>(last.code_objects);
    state.counters["instructions"] = static_cast<double>(last.instructions);
    state.counters["failed"] = static_cast<double>(last.failed);
}
BENCHMARK(StdlibDecodeCfgLiveness)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Decode + assemble (with its re-decode check) of every module-level code object.
void StdlibDecodeAssemble(benchmark::State& state) {
    const auto& corpus = stdlib();
    for (auto _ : state) {
        std::size_t bytes = 0;
        for (const CodeObject& module : corpus) {
            if (auto list = decode_instructions(module)) {
                if (auto out = assemble(*list)) bytes += out->code.size();
            }
        }
        benchmark::DoNotOptimize(bytes);
    }
}
BENCHMARK(StdlibDecodeAssemble)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
