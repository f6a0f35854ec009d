// ====================================================================================================
// Python code objects <-> shrinkpy::analyzer::CodeObject. The only file that reads CPython's
// PyCodeObject layout (co_localspluskinds is not exposed to Python in 3.11).
// ====================================================================================================
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "shrinkpy/analyzer/code_object.hpp"
#include "shrinkpy/analyzer/error.hpp"

namespace shrinkpy::python {

// Recursive through co_consts. Throws AnalyzerError for something that is not a code object.
std::shared_ptr<const analyzer::CodeObject> code_from_python(pybind11::handle code);

// The one Python exception type of the analyzer, carrying offset, opcode and reason.
[[noreturn]] void raise_error(const analyzer::Error& error);
void register_error_type(pybind11::module_& m);

template <typename T>
T unwrap(analyzer::Result<T> result) {
    if (!result) raise_error(result.error());
    return std::move(result).value();
}

}  // namespace shrinkpy::python
