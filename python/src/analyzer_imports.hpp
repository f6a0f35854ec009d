// ====================================================================================================
// The import pass in shrinkpy._analyzer: import facts as dicts, the plan, the rewrite, name uses
// and the table of modules kept eager (analyzer/include/shrinkpy/analyzer/import_*.hpp).
// ====================================================================================================
#pragma once

#include <pybind11/pybind11.h>

#include "shrinkpy/analyzer/imports.hpp"

namespace shrinkpy::python {

pybind11::dict import_fact_dict(const analyzer::ImportFact& fact);
void register_imports(pybind11::module_& m);

}  // namespace shrinkpy::python
