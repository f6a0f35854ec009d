// ====================================================================================================
// A byte format for CodeObject trees, for corpora (tests, benchmarks, fuzz seeds) made without
// linking libpython. Written by serialize() here and by analyzer/tools/dump_codes.py; read back by
// deserialize(), which validates every length and depth (fuzzed like the decoder).
//
//   file   := "SPCO" u8(version=1) u32(count) code*
//   code   := u16 magic, i32 argcount, posonlyargcount, kwonlyargcount, stacksize, u32 flags,
//             i32 firstlineno, bytes co_code, bytes exceptiontable, bytes linetable,
//             strings names, strings localsplus_names, bytes localsplus_kinds,
//             bytes filename, bytes name, bytes qualname, u32 nconsts, const*
//   const  := u8 Constant::Kind, then code (code) | u32 n, const* (tuple, frozenset) | bytes text
//   bytes  := u32 length, data;  strings := u32 count, bytes*;  integers little-endian
// ====================================================================================================
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

std::string serialize(const CodeObject& code);
std::string serialize_many(const std::vector<const CodeObject*>& codes);
Result<std::vector<CodeObject>> deserialize(std::string_view bytes);

}  // namespace shrinkpy::analyzer
