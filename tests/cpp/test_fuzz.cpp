// ====================================================================================================
// Fuzzing in `make test`: mutated corpus code objects and random bytes through every layer and
// analysis (analyzer/fuzz/fuzz_one.cpp). The sanitized executable runs it under ASan/UBSan with
// every validator on; libFuzzer runs the same body for longer (analyzer/CMakeLists.txt). Paired
// with tests/python/test_fuzz.py. Deterministic seeds: a failure reproduces.
// ====================================================================================================
#include <gtest/gtest.h>

#include <random>

#include "../../analyzer/fuzz/fuzz_one.hpp"
#include "analyzer_corpus.hpp"
#include "shrinkpy/analyzer/instructions.hpp"
#include "shrinkpy/analyzer/serialize.hpp"

namespace shrinkpy::analyzer {
namespace {

void mutate(std::string& bytes, std::mt19937& rng) {
    if (bytes.empty()) return;
    std::uniform_int_distribution<std::size_t> at(0, bytes.size() - 1);
    switch (rng() % 5) {
        case 0: bytes[at(rng)] = static_cast<char>(rng()); break;               // overwrite a byte
        case 1: bytes[at(rng)] ^= static_cast<char>(1u << (rng() % 8)); break;  // flip a bit
        case 2: bytes.resize(at(rng)); break;                                   // truncate
        case 3: bytes.insert(at(rng), 1, static_cast<char>(rng())); break;      // insert a byte
        default: bytes.erase(at(rng), 1); break;                                // delete a byte
    }
}

TEST(Fuzz, MutatedCodeObjects) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    std::vector<const CodeObject*> codes;
    for (const CodeObject& module : corpus)
        testing::for_each_code(module, [&](const CodeObject& c) { codes.push_back(&c); });
    std::mt19937 rng(12345);
    int decoded = 0;
    for (int iteration = 0; iteration < 3000; ++iteration) {
        CodeObject code = *codes[rng() % codes.size()];
        for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
            switch (rng() % 5) {
                case 0: mutate(code.code, rng); break;
                case 1: mutate(code.exceptiontable, rng); break;
                case 2: mutate(code.linetable, rng); break;
                case 3: code.argcount = static_cast<std::int32_t>(rng() % 8) - 1; break;
                default: mutate(code.localsplus_kinds, rng); break;
            }
        }
        fuzz::run_code(code);
        decoded += decode_instructions(code) ? 1 : 0;
    }
    // Some mutations keep the code valid (a changed oparg); most must be rejected.
    EXPECT_GT(decoded, 0);
    EXPECT_LT(decoded, 3000);
}

TEST(Fuzz, MutatedSerializedCorpus) {
    const auto corpus = testing::load_corpus("tricky.spco");
    ASSERT_FALSE(corpus.empty());
    const std::string seed = serialize(corpus[0]);
    std::mt19937 rng(777);
    for (int iteration = 0; iteration < 300; ++iteration) {
        std::string bytes = seed;
        for (int k = 0; k < 4; ++k) mutate(bytes, rng);
        fuzz::run_bytes(bytes);
    }
}

TEST(Fuzz, RandomBytes) {
    std::mt19937 rng(4242);
    for (int iteration = 0; iteration < 5000; ++iteration) {
        std::string bytes(rng() % 200, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        if (iteration % 2 == 0) {
            // Mostly valid opcodes, to get past the first unit.
            for (std::size_t i = 3; i + 1 < bytes.size(); i += 2)
                bytes[i] = static_cast<char>((rng() % 2) ? 100 + rng() % 80 : rng() % 90);
        }
        fuzz::run_bytes(bytes);
    }
}

}  // namespace
}  // namespace shrinkpy::analyzer
