// ====================================================================================================
// shrinkpy._alloc: shrinkpy's allocator from Python. Re-exported by shrinkpy (install_allocator,
// allocator_stats in python/shrinkpy/__init__.py); stubs in python/shrinkpy/_alloc.pyi.
//
// This module links a copy of libshrinkpy_alloc, so that it works inside a stock python3.11. Inside
// shrinkpython the allocator is the launcher's: alloc::allocator_api() finds it (pymem_glue.hpp),
// and everything here goes through that API, never through this copy's globals directly
// (runtime/allocator_control.hpp, shared with the module built into shrinkpython).
// ====================================================================================================
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "allocator_control.hpp"

namespace py = pybind11;

namespace shrinkpy::python {
namespace {

std::string install(std::optional<std::string> name) {
    runtime::InstallOutcome r = runtime::install_allocator_named(name);
    if (r.error == runtime::InstallOutcome::Error::bad_value) throw py::value_error(r.message);
    if (r.error == runtime::InstallOutcome::Error::failed) throw std::runtime_error(r.message);
    return r.name;
}

}  // namespace
}  // namespace shrinkpy::python

PYBIND11_MODULE(_alloc, m) {
    using namespace shrinkpy::python;
    m.doc() = "shrinkpy's allocator: install it into a running interpreter, read its statistics.";
    m.def("install_allocator", &install, py::arg("name") = py::none(),
          "Install the allocator SHRINKPY_ALLOCATOR names ('arena' by default), wrapping the running one; "
          "returns its name. Idempotent for the allocator already installed.");
    m.def("installed_allocator", [] {
        const char* name = shrinkpy::runtime::installed_allocator();
        return name == nullptr ? py::object(py::none()) : py::object(py::str(name));
    });
    m.def("stats_json", &shrinkpy::runtime::allocator_stats_json,
          "The allocator's statistics as JSON (see shrinkpy.allocator_stats).");
}
