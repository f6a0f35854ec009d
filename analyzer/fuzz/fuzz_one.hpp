// ====================================================================================================
// One fuzz iteration, shared by the GoogleTest fuzz suite (tests/cpp/test_fuzz.cpp, sanitized, in
// `make test`) and the libFuzzer target (fuzz_analyzer.cpp, clang only).
// ====================================================================================================
#pragma once

#include <string_view>

#include "shrinkpy/analyzer/code_object.hpp"

namespace shrinkpy::analyzer::fuzz {

// Everything a code object goes through: decode, assemble, CFG, every analysis, imports.
// Returns normally on any input; a crash, sanitizer report or failed self-check aborts.
void run_code(const CodeObject& code);
// Interprets bytes as a SPCO corpus; when that fails, as the co_code / co_exceptiontable /
// co_linetable of a synthetic code object (split by the first bytes).
void run_bytes(std::string_view data);

}  // namespace shrinkpy::analyzer::fuzz
