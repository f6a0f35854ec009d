// ====================================================================================================
// shrinkpy._analyzer's import functions: thin wrappers over analyzer/cpython/import_bridge.hpp,
// which shrinkpython's built-in module uses too. See analyzer_imports.hpp.
// ====================================================================================================
#include "analyzer_imports.hpp"

#include <pybind11/stl.h>

#include "analyzer_convert.hpp"
#include "import_bridge.hpp"
#include "shrinkpy/analyzer/eager_modules.hpp"
#include "shrinkpy/analyzer/import_rewrite.hpp"
#include "shrinkpy/analyzer/module_effects.hpp"
#include "shrinkpy/analyzer/name_uses.hpp"

namespace py = pybind11;
namespace an = shrinkpy::analyzer;

namespace shrinkpy::python {
namespace {

py::object steal(PyObject* result) {
    if (result == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(result);
}

an::ImportPolicy policy_from(const std::string& mode, bool is_main, py::object eager_lines, py::object eager_modules,
                             py::object probe, py::object is_submodule) {
    an::ImportPolicy policy;
    if (!an::cpython::import_policy_from_python(mode.c_str(), is_main, eager_lines.ptr(), eager_modules.ptr(),
                                                probe.ptr(), is_submodule.ptr(), policy))
        throw py::error_already_set();
    return policy;
}

}  // namespace

py::dict import_fact_dict(const an::ImportFact& fact) {
    return py::reinterpret_borrow<py::dict>(steal(an::cpython::import_fact_to_python(fact)));
}

void register_imports(py::module_& m) {
    m.attr("IMPORT_REWRITE_VERSION") = an::kImportRewriteVersion;
    const std::string policy_doc =
        " mode: 'defer', 'drop' or 'off'; is_main: the code is __main__'s; eager_lines: lines with "
        "`# shrinkpy: eager`; eager_modules: modules the user marked eager; probe(module, level, imported) -> "
        "reason to keep it eager, or None; is_submodule(dotted) -> whether it names a findable submodule.";
    m.def(
        "import_plan",
        [](py::handle code, const std::string& mode, bool is_main, py::object eager_lines, py::object eager_modules,
           py::object probe, py::object is_submodule) {
            const an::ImportPolicy policy = policy_from(mode, is_main, eager_lines, eager_modules, probe, is_submodule);
            return steal(an::cpython::import_plan_to_python(code.ptr(), policy));
        },
        py::arg("module_code"), py::arg("mode") = "defer", py::arg("is_main") = true,
        py::arg("eager_lines") = py::none(), py::arg("eager_modules") = py::none(), py::arg("probe") = py::none(),
        py::arg("is_submodule") = py::none(),
        ("Every import binding with its facts, 'action' (keep/defer/drop), 'verdict_reason' and 'also_import'." +
         policy_doc)
            .c_str());
    m.def(
        "rewrite_imports",
        [](py::handle code, const std::string& mode, bool is_main, py::object eager_lines, py::object eager_modules,
           py::object probe, py::object is_submodule) {
            const an::ImportPolicy policy = policy_from(mode, is_main, eager_lines, eager_modules, probe, is_submodule);
            return steal(an::cpython::rewrite_imports_to_python(code.ptr(), policy));
        },
        py::arg("module_code"), py::arg("mode") = "defer", py::arg("is_main") = true,
        py::arg("eager_lines") = py::none(), py::arg("eager_modules") = py::none(), py::arg("probe") = py::none(),
        py::arg("is_submodule") = py::none(),
        ("(code, decisions): the module code with deferred and dropped imports rewritten (the same object when "
         "nothing changed) and import_plan()'s decisions." +
         policy_doc)
            .c_str());
    m.def(
        "name_uses",
        [](py::handle code, const std::vector<std::string>& names) {
            auto converted = code_from_python(code);
            py::list out;
            for (const an::NameUse& u : an::global_name_uses(*converted, names)) {
                py::dict d;
                d["name"] = u.name;
                d["code"] = u.code_qualname;
                d["line"] = u.line;
                d["kind"] = an::name_use_kind_name(u.kind);
                d["at_import_time"] = u.at_import_time;
                d["detail"] = u.detail;
                d["attributes"] = u.attributes;
                out.append(d);
            }
            return out;
        },
        py::arg("module_code"), py::arg("names"),
        "How every read of `names` as a global is used: attribute, callee, class_check, discarded or unsafe.");
    m.def(
        "import_effects", [](py::handle code) { return an::import_effects(*code_from_python(code)); },
        py::arg("module_code"),
        "['line N: what'] for what importing the module does beyond itself (module_effects.hpp).");
    m.def(
        "eager_modules",
        []() {
            py::list out;
            for (const an::EagerModule& e : an::eager_modules())
                out.append(py::make_tuple(std::string(e.name), e.submodules, std::string(e.reason)));
            return out;
        },
        "[(module, with_submodules, reason)]: modules the import pass never defers or drops.");
}

}  // namespace shrinkpy::python
