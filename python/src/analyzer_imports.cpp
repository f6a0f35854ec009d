// ====================================================================================================
// shrinkpy._analyzer's import functions. See analyzer_imports.hpp.
// ====================================================================================================
#include "analyzer_imports.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "analyzer_convert.hpp"
#include "shrinkpy/analyzer/eager_modules.hpp"
#include "shrinkpy/analyzer/import_plan.hpp"
#include "shrinkpy/analyzer/import_rewrite.hpp"
#include "shrinkpy/analyzer/module_effects.hpp"
#include "shrinkpy/analyzer/name_uses.hpp"

namespace py = pybind11;
namespace an = shrinkpy::analyzer;

namespace shrinkpy::python {
namespace {

an::ImportPolicy policy_from(const std::string& mode, bool is_main, const std::vector<std::int32_t>& eager_lines,
                             const std::vector<std::string>& eager_modules, py::object probe, py::object is_submodule) {
    an::ImportPolicy policy;
    const auto parsed = an::parse_import_mode(mode);
    if (!parsed)
        throw py::value_error("mode must be 'defer', 'drop' or 'off', not " +
                              py::repr(py::str(mode)).cast<std::string>());
    policy.mode = *parsed;
    policy.is_main = is_main;
    policy.eager_lines = eager_lines;
    policy.eager_modules = eager_modules;
    if (!probe.is_none()) {
        // A failing probe keeps the import eager: the program must never break because of the pass.
        policy.probe = [probe](const an::ImportFact& fact) -> std::string {
            try {
                py::object answer = probe(fact.module, fact.level, fact.imported);
                return answer.is_none() ? std::string() : py::str(answer).cast<std::string>();
            } catch (py::error_already_set& e) {
                return std::string("the loader's probe failed: ") + e.what();
            }
        };
    }
    if (!is_submodule.is_none()) {
        // A failing answer counts as "a submodule": the imports stay as written.
        policy.is_submodule = [is_submodule](const std::string& module) -> bool {
            try {
                return py::bool_(is_submodule(module));
            } catch (py::error_already_set&) {
                return true;
            }
        };
    }
    return policy;
}

py::list decisions_list(const an::ImportPlan& plan) {
    py::list out;
    for (const an::ImportDecision& d : plan.decisions) {
        py::dict row = import_fact_dict(d.fact);
        row["action"] = an::import_action_name(d.action);
        row["verdict_reason"] = d.reason;
        row["also_import"] = d.also_import;
        out.append(row);
    }
    return out;
}

py::object python_constant(const an::Constant& c) {
    using Kind = an::Constant::Kind;
    switch (c.kind) {
        case Kind::none: return py::none();
        case Kind::boolean: return py::bool_(c.text == "True");
        case Kind::integer: return py::int_(std::stoll(c.text));
        case Kind::string: return py::str(c.text);
        case Kind::tuple: {
            py::tuple t(c.items.size());
            for (std::size_t i = 0; i < c.items.size(); ++i) t[i] = python_constant(c.items[i]);
            return t;
        }
        default: throw py::value_error("the import pass produced a constant it cannot express");
    }
}

py::tuple rewrite(py::handle code, const std::string& mode, bool is_main, const std::vector<std::int32_t>& eager_lines,
                  const std::vector<std::string>& eager_modules, py::object probe, py::object is_submodule) {
    auto converted = code_from_python(code);
    const an::ImportPolicy policy =
        policy_from(mode, is_main, eager_lines, eager_modules, std::move(probe), std::move(is_submodule));
    an::ImportRewrite result = unwrap(an::rewrite_imports(*converted, policy));
    if (!result.changed) return py::make_tuple(py::reinterpret_borrow<py::object>(code), decisions_list(result.plan));
    py::list consts(code.attr("co_consts"));
    for (std::size_t i = result.code.consts.size() - result.consts_added; i < result.code.consts.size(); ++i)
        consts.append(python_constant(result.code.consts[i]));
    py::list names(code.attr("co_names"));
    for (std::size_t i = result.code.names.size() - result.names_added; i < result.code.names.size(); ++i)
        names.append(py::str(result.code.names[i]));
    const auto as_bytes = [](const std::string& s) { return py::bytes(s.data(), s.size()); };
    py::object rewritten = code.attr("replace")(
        py::arg("co_code") = as_bytes(result.code.code),
        py::arg("co_exceptiontable") = as_bytes(result.code.exceptiontable),
        py::arg("co_linetable") = as_bytes(result.code.linetable), py::arg("co_consts") = py::tuple(consts),
        py::arg("co_names") = py::tuple(names), py::arg("co_stacksize") = result.code.stacksize);
    return py::make_tuple(rewritten, decisions_list(result.plan));
}

}  // namespace

py::dict import_fact_dict(const an::ImportFact& f) {
    py::dict d;
    d["code"] = f.code_qualname;
    d["offset"] = f.offset;
    d["line"] = f.line;
    d["module"] = f.module;
    d["level"] = f.level;
    d["imported"] = f.imported;
    d["bound"] = f.bound;
    d["as_module"] = f.as_module;
    d["scope"] = an::scope_name(f.scope);
    d["use"] = an::use_name(f.use);
    d["readers"] = f.readers;
    d["reason"] = f.reason;
    return d;
}

void register_imports(py::module_& m) {
    m.attr("IMPORT_REWRITE_VERSION") = an::kImportRewriteVersion;
    const char* policy_doc =
        " mode: 'defer', 'drop' or 'off'; is_main: the code is __main__'s; eager_lines: lines with "
        "`# shrinkpy: eager`; eager_modules: modules the user marked eager; probe(module, level, imported) -> "
        "reason to keep it eager, or None; is_submodule(dotted) -> whether it names a findable submodule.";
    m.def(
        "import_plan",
        [](py::handle code, const std::string& mode, bool is_main, const std::vector<std::int32_t>& eager_lines,
           const std::vector<std::string>& eager_modules, py::object probe, py::object is_submodule) {
            auto converted = code_from_python(code);
            const an::ImportPolicy policy =
                policy_from(mode, is_main, eager_lines, eager_modules, std::move(probe), std::move(is_submodule));
            return decisions_list(unwrap(an::plan_imports(*converted, policy)));
        },
        py::arg("module_code"), py::arg("mode") = "defer", py::arg("is_main") = true,
        py::arg("eager_lines") = std::vector<std::int32_t>{}, py::arg("eager_modules") = std::vector<std::string>{},
        py::arg("probe") = py::none(), py::arg("is_submodule") = py::none(),
        (std::string("Every import binding with its facts, 'action' (keep/defer/drop) and 'verdict_reason'.") +
         policy_doc)
            .c_str());
    m.def("rewrite_imports", &rewrite, py::arg("module_code"), py::arg("mode") = "defer", py::arg("is_main") = true,
          py::arg("eager_lines") = std::vector<std::int32_t>{}, py::arg("eager_modules") = std::vector<std::string>{},
          py::arg("probe") = py::none(), py::arg("is_submodule") = py::none(),
          (std::string("(code, decisions): the module code with deferred and dropped imports rewritten (the same "
                       "object when nothing changed) and import_plan()'s decisions.") +
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
