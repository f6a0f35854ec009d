// ====================================================================================================
// shrinkpy._alloc: shrinkpy's allocator from Python. Re-exported by shrinkpy (install_allocator,
// allocator_stats in python/shrinkpy/__init__.py); stubs in python/shrinkpy/_alloc.pyi.
//
// This module links a copy of libshrinkpy_alloc, so that it works inside a stock python3.11. Inside
// shrinkpython the allocator is the launcher's: alloc::allocator_api() finds it (pymem_glue.hpp),
// and everything here goes through that API, never through this copy's globals directly.
// ====================================================================================================
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "allocator_options.hpp"
#include "options.hpp"
#include "report.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace py = pybind11;

namespace shrinkpy::python {
namespace {

// Installs the allocator the options table names (SHRINKPY_ALLOCATOR unless `name` is given), with
// the SHRINKPY_ARENA_* and SHRINKPY_MAX_HEAP settings. After start-up only the allocators that wrap
// the running one can be installed: the arena and mimalloc send every block allocated before back
// to the allocator that served it; pymalloc and malloc would not.
std::string install(std::optional<std::string> name) {
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    runtime::Options options =
        runtime::Options::read([](const char* var) { return std::getenv(var); }, warnings, error);
    if (error) throw py::value_error(*error);
    std::string chosen = name.value_or(options.text(runtime::OptionId::allocator));
    if (chosen != "arena" && chosen != "mimalloc") {
        throw py::value_error("install_allocator: '" + chosen +
                              "' cannot replace the allocator of a running interpreter; choose 'arena' or 'mimalloc', "
                              "or start the program with shrinkpython");
    }
    const alloc::AllocatorApi& api = alloc::allocator_api();
    if (const char* installed = api.installed_name()) {
        if (chosen == installed) return chosen;
        throw std::runtime_error(std::string("install_allocator: shrinkpy's allocator is already installed: ") +
                                 installed);
    }
    alloc::InstallResult r = api.install(runtime::allocator_kind(chosen), false, false, runtime::arena_config(options));
    if (r.error != alloc::InstallError::none) throw std::runtime_error(std::string("install_allocator: ") + r.message);
    return chosen;
}

std::string stats_json() {
    const alloc::AllocatorApi& api = alloc::allocator_api();
    std::optional<alloc::StatsSnapshot> counted;
    if (api.installed_name() != nullptr && api.counted()) counted = api.snapshot();
    alloc::ArenaStats arena;
    bool has_arena = api.arena_stats(&arena);
    return runtime::format_allocator_stats_json(api.installed_name(), counted ? &*counted : nullptr,
                                                has_arena ? &arena : nullptr);
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
        const char* name = shrinkpy::alloc::allocator_api().installed_name();
        return name == nullptr ? py::object(py::none()) : py::object(py::str(name));
    });
    m.def("stats_json", &stats_json, "The allocator's statistics as JSON (see shrinkpy.allocator_stats).");
}
