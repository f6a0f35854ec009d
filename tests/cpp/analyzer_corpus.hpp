// ====================================================================================================
// Test support: SPCO corpora written at build time by analyzer/tools/dump_codes.py
// (tricky.spco: tests/python/corpus/tricky.py; stdlib.spco: every stdlib module), and small
// builders for hand-assembled code objects.
// ====================================================================================================
#pragma once

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/serialize.hpp"

namespace shrinkpy::analyzer::testing {

inline std::vector<CodeObject> load_corpus(const std::string& name) {
    std::ifstream in(std::string(SHRINKPY_TEST_CORPUS_DIR) + "/" + name, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto codes = deserialize(buffer.str());
    return codes ? std::move(codes).value() : std::vector<CodeObject>{};
}

inline void for_each_code(const CodeObject& code, const std::function<void(const CodeObject&)>& fn) {
    fn(code);
    for (const Constant& c : code.consts) {
        if (c.kind == Constant::Kind::code && c.code) for_each_code(*c.code, fn);
    }
}

inline const CodeObject* find_code(const std::vector<CodeObject>& corpus, const std::string& qualname) {
    const CodeObject* found = nullptr;
    for (const CodeObject& module : corpus) {
        for_each_code(module, [&](const CodeObject& c) {
            if (c.qualname == qualname && found == nullptr) found = &c;
        });
    }
    return found;
}

// Code units from (opcode, oparg) pairs.
inline std::string units(std::initializer_list<std::pair<int, int>> pairs) {
    std::string out;
    for (auto [op, arg] : pairs) {
        out.push_back(static_cast<char>(op));
        out.push_back(static_cast<char>(arg));
    }
    return out;
}

}  // namespace shrinkpy::analyzer::testing
