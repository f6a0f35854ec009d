// ====================================================================================================
// The bytecode magic-number gate: the analyzer reads CPython 3.11 bytecode (magic 3495) and nothing
// else, and says which version it was given instead (Lib/importlib/_bootstrap_external.py lists the
// magic numbers of every release).
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::analyzer {

// "3.10", "3.12", "3.11 pre-release", or "unknown" for a magic number no CPython release used.
std::string python_version_of_magic(std::uint16_t magic);

// Ok for 3495; otherwise an Error naming the version found.
Status check_magic(std::uint16_t magic);

struct PycHeader {
    std::uint16_t magic = 0;
    std::uint32_t flags = 0;  // PEP 552: bit 0 hash-based, bit 1 check_source
    std::size_t size = 16;    // bytes before the marshalled code object
};

// Reads and gates the 16-byte .pyc header (magic, "\r\n", flags, mtime+size or source hash).
Result<PycHeader> read_pyc_header(std::string_view bytes);

}  // namespace shrinkpy::analyzer
