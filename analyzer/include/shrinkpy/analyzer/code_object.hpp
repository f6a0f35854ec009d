// ====================================================================================================
// CodeObject: a CPython 3.11 code object as plain C++ data, so the analyzer works on bytes alone
// (fuzzable, testable without an interpreter). The pybind11 extension fills it from a real code
// object; serialize.hpp reads and writes it for corpora and fuzzing.
//
// Glossary
//   code unit    2 bytes of co_code: [opcode, oparg] (_Py_CODEUNIT)
//   localsplus   the frame's slots: co_varnames (arguments first), then cell-only names, then free
//                variables; LOAD_FAST and LOAD_DEREF both index it directly in 3.11
//                (compute_localsplus_info in 3.11 Python/compile.c)
//   kinds        one byte per slot: kFastLocal | kFastCell | kFastFree (Include/cpython/code.h)
// ====================================================================================================
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shrinkpy::analyzer {

struct CodeObject;

// Localsplus kinds, Include/cpython/code.h (3.11).
inline constexpr std::uint8_t kFastLocal = 0x20;
inline constexpr std::uint8_t kFastCell = 0x40;
inline constexpr std::uint8_t kFastFree = 0x80;

// co_flags bits used by the analyzer (Include/cpython/code.h).
inline constexpr std::uint32_t kCoVarargs = 0x0004;
inline constexpr std::uint32_t kCoVarkeywords = 0x0008;
inline constexpr std::uint32_t kCoGenerator = 0x0020;
inline constexpr std::uint32_t kCoCoroutine = 0x0080;
inline constexpr std::uint32_t kCoIterableCoroutine = 0x0100;
inline constexpr std::uint32_t kCoAsyncGenerator = 0x0200;

// One entry of co_consts. Only what the analyses read is kept exactly (strings, tuples of
// strings, nested code); other values keep their repr for reports.
struct Constant {
    enum class Kind : std::uint8_t {
        none,
        boolean,
        integer,
        floating,
        complex,
        bytes,
        string,
        tuple,
        frozenset,
        ellipsis,
        code,
        other
    };
    Kind kind = Kind::none;
    std::string text;                        // string/bytes: the value (UTF-8); others: repr()
    std::vector<Constant> items;             // tuple, frozenset
    std::shared_ptr<const CodeObject> code;  // Kind::code
};

struct CodeObject {
    std::uint16_t magic = 3495;  // bytecode magic of the interpreter or .pyc it came from
    std::int32_t argcount = 0;
    std::int32_t posonlyargcount = 0;
    std::int32_t kwonlyargcount = 0;
    std::int32_t stacksize = 0;
    std::uint32_t flags = 0;
    std::int32_t firstlineno = 0;
    std::string code;            // co_code bytes (caches zeroed, as code.co_code returns them)
    std::string exceptiontable;  // co_exceptiontable bytes
    std::string linetable;       // co_linetable bytes (3.11 format, Objects/locations.md)
    std::vector<Constant> consts;
    std::vector<std::string> names;             // co_names
    std::vector<std::string> localsplus_names;  // co_varnames + cell-only + co_freevars
    std::string localsplus_kinds;               // one kind byte per localsplus slot
    std::string filename, name, qualname;

    std::size_t code_units() const { return code.size() / 2; }
    std::uint8_t kind(std::size_t slot) const { return static_cast<std::uint8_t>(localsplus_kinds[slot]); }
    // Number of arguments bound on entry (positional, keyword-only, *args, **kwargs).
    std::int32_t total_args() const {
        return argcount + kwonlyargcount + ((flags & kCoVarargs) ? 1 : 0) + ((flags & kCoVarkeywords) ? 1 : 0);
    }
    bool is_generator_like() const {
        return (flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator | kCoIterableCoroutine)) != 0;
    }
};

}  // namespace shrinkpy::analyzer
