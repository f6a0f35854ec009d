// ====================================================================================================
// shrinkpy._analyzer: the pybind11 face of libshrinkpy_analyzer. Re-exported by
// shrinkpy.analyzer (python/shrinkpy/analyzer.py); stubs in python/shrinkpy/_analyzer.pyi.
// Every failure is raised as AnalyzerError (section, offset, opcode, opname, reason).
// ====================================================================================================
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "analyzer_convert.hpp"
#include "analyzer_reports.hpp"
#include "code_bridge.hpp"
#include "shrinkpy/analyzer/analysis.hpp"
#include "shrinkpy/analyzer/concrete.hpp"
#include "shrinkpy/analyzer/imports.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"
#include "shrinkpy/analyzer/provenance.hpp"
#include "shrinkpy/analyzer/release_plan.hpp"
#include "shrinkpy/analyzer/rewrite.hpp"
#include "shrinkpy/analyzer/serialize.hpp"
#include "shrinkpy/analyzer/version_gate.hpp"

namespace py = pybind11;
namespace an = shrinkpy::analyzer;

namespace shrinkpy::python {
namespace {

py::bytes as_bytes(const std::string& s) { return py::bytes(s.data(), s.size()); }

// decode -> `layer` -> encode, without touching Python objects.
an::Assembled encode_through(const an::CodeObject& code, const std::string& layer) {
    if (layer == "concrete") {
        an::ConcreteCode concrete = unwrap(an::decode_concrete(code));
        an::Assembled out;
        out.code = unwrap(an::encode_code_units(concrete.instrs));
        out.exceptiontable = an::encode_exception_table(concrete.exceptions);
        out.linetable = unwrap(an::encode_location_table(concrete.locations, code.firstlineno));
        return out;
    }
    an::InstrList list = unwrap(an::decode_instructions(code));
    if (layer == "instructions") return unwrap(an::assemble(list));
    if (layer == "cfg") {
        an::Cfg cfg = unwrap(an::build_cfg(list));
        an::InstrList back = unwrap(cfg.to_instructions());
        return unwrap(an::assemble(back));
    }
    throw py::value_error("layer must be 'concrete', 'instructions' or 'cfg'");
}

py::object rebuild(py::handle code, const std::string& layer) {
    std::shared_ptr<const an::CodeObject> converted = code_from_python(code);
    const an::Assembled out = encode_through(*converted, layer);
    py::list consts;
    for (py::handle item : code.attr("co_consts")) {
        consts.append(PyCode_Check(item.ptr()) ? rebuild(item, layer) : py::reinterpret_borrow<py::object>(item));
    }
    return code.attr("replace")(
        py::arg("co_code") = as_bytes(out.code), py::arg("co_exceptiontable") = as_bytes(out.exceptiontable),
        py::arg("co_linetable") = as_bytes(out.linetable), py::arg("co_consts") = py::tuple(consts));
}

py::dict import_fact(const an::ImportFact& f) {
    py::dict d;
    d["code"] = f.code_qualname;
    d["offset"] = f.offset;
    d["line"] = f.line;
    d["module"] = f.module;
    d["level"] = f.level;
    d["imported"] = f.imported;
    d["bound"] = f.bound;
    d["scope"] = an::scope_name(f.scope);
    d["use"] = an::use_name(f.use);
    d["readers"] = f.readers;
    d["reason"] = f.reason;
    return d;
}

an::ReleasePolicy policy_from(bool main, const std::string& mode, const std::vector<int>& keep_lines,
                              const std::vector<std::string>& ignore_rules) {
    an::ReleasePolicy policy;
    if (mode == "aggressive") {
        policy.mode = an::EarlyFreeMode::aggressive;
    } else if (mode != "safe") {
        throw py::value_error("mode must be 'safe' or 'aggressive', not '" + mode + "'");
    }
    policy.module_is_main = main;
    policy.keep_lines.assign(keep_lines.begin(), keep_lines.end());
    for (const std::string& rule : ignore_rules) {
        if (!an::is_policy_rule(rule)) throw py::value_error("no early-freeing rule named '" + rule + "'");
    }
    policy.ignored_rules = ignore_rules;
    return policy;
}

}  // namespace
}  // namespace shrinkpy::python

PYBIND11_MODULE(_analyzer, m) {
    using namespace shrinkpy::python;
    m.doc() = "CPython 3.11 bytecode analyzer: decode/encode, CFG, liveness, import facts.";
    register_error_type(m);
    register_reports(m);
    m.attr("MAGIC") = an::kMagic311;
    m.attr("DEBUG_LEVEL") = an::kDebugLevel;

    m.def("python_version_of_magic", &an::python_version_of_magic, py::arg("magic"));
    m.def(
        "check_magic",
        [](int magic) {
            if (magic < 0 || magic > 0xFFFF) throw py::value_error("magic must be 0-65535");
            unwrap(an::check_magic(static_cast<std::uint16_t>(magic)));
        },
        py::arg("magic"), "Raise AnalyzerError naming the CPython version unless magic is 3.11's.");
    m.def(
        "load_pyc",
        [](py::bytes data) {
            const std::string bytes = data;
            const an::PycHeader header = unwrap(an::read_pyc_header(bytes));
            return py::module_::import("marshal").attr("loads")(
                py::bytes(bytes.data() + header.size, bytes.size() - header.size));
        },
        py::arg("data"), "The code object of a .pyc file's bytes, after the magic-number gate.");

    m.def(
        "opname", [](int opcode) { return std::string(an::opcode_name(opcode)); }, py::arg("opcode"));
    m.def(
        "stack_effect",
        [](int opcode, long long arg, bool jump) -> py::object {
            if (opcode < 0 || opcode > 255 || arg < 0 || arg > 0xFFFFFFFFLL)
                throw py::value_error("opcode or arg out of range");
            auto e = an::stack_effect(static_cast<std::uint8_t>(opcode), static_cast<std::uint32_t>(arg), jump);
            return e ? py::object(py::int_(*e)) : py::object(py::none());
        },
        py::arg("opcode"), py::arg("arg"), py::arg("jump"));

    m.def(
        "decode",
        [](py::handle code) {
            auto converted = code_from_python(code);
            an::ConcreteCode c = unwrap(an::decode_concrete(*converted));
            py::list out;
            for (const an::ConcreteInstr& in : c.instrs) {
                out.append(py::make_tuple(in.offset * 2, an::opcode_name(in.opcode), in.arg, in.prefixes, in.caches));
            }
            return out;
        },
        py::arg("code"), "[(offset, opname, arg, extended_args, caches)] of co_code; offsets in bytes.");
    m.def(
        "exception_table",
        [](py::handle code) {
            auto converted = code_from_python(code);
            auto entries = unwrap(an::decode_exception_table(converted->exceptiontable,
                                                             static_cast<std::uint32_t>(converted->code_units())));
            py::list out;
            for (const auto& e : entries)
                out.append(py::make_tuple(e.start * 2, e.end * 2, e.target * 2, e.depth, e.lasti));
            return out;
        },
        py::arg("code"), "[(start, end, target, depth, lasti)] in bytes, end exclusive.");
    m.def(
        "positions",
        [](py::handle code) {
            auto converted = code_from_python(code);
            auto entries = unwrap(an::decode_location_table(converted->linetable, converted->firstlineno));
            py::list out;
            const auto opt = [](int v) { return v < 0 ? py::object(py::none()) : py::object(py::int_(v)); };
            for (const an::Position& p : an::positions_per_unit(entries)) {
                out.append(py::make_tuple(opt(p.line), opt(p.end_line), opt(p.col), opt(p.end_col)));
            }
            return out;
        },
        py::arg("code"), "One (line, end_line, col, end_col) per code unit, like code.co_positions().");
    m.def(
        "roundtrip",
        [](py::handle code, const std::string& layer) {
            auto converted = code_from_python(code);
            const an::Assembled out = encode_through(*converted, layer);
            return py::make_tuple(as_bytes(out.code), as_bytes(out.exceptiontable), as_bytes(out.linetable));
        },
        py::arg("code"), py::arg("layer") = "cfg",
        "Decode, pass through `layer` ('concrete', 'instructions' or 'cfg'), encode: "
        "(co_code, co_exceptiontable, co_linetable).");
    m.def("rebuild", &rebuild, py::arg("code"), py::arg("layer") = "cfg",
          "A new code object (nested ones too) whose tables went through `layer` and back.");
    m.def(
        "serialize", [](py::handle code) { return as_bytes(an::serialize(*code_from_python(code))); }, py::arg("code"),
        "The corpus/fuzz serialization of a code object and its nested code objects.");

    m.def(
        "analyze",
        [](py::handle code, bool recursive) {
            auto converted = code_from_python(code);
            an::AnalyzeOptions options;
            options.recursive = recursive;
            an::CodeAnalysis analysis = an::analyze_code(*converted, options);
            return make_report(analysis);
        },
        py::arg("code"), py::arg("recursive") = true, "Liveness of every fast local at every instruction.");
    m.def(
        "analyze_totals",
        [](py::list codes) {
            std::vector<std::shared_ptr<const an::CodeObject>> converted;
            for (py::handle code : codes) converted.push_back(code_from_python(code));
            an::AnalysisTotals sum;
            {
                py::gil_scoped_release release;
                for (const auto& code : converted) {
                    const an::AnalysisTotals t = an::totals(an::analyze_code(*code));
                    sum.code_objects += t.code_objects;
                    sum.failed += t.failed;
                    sum.instructions += t.instructions;
                    sum.blocks += t.blocks;
                    sum.last_uses += t.last_uses;
                }
            }
            py::dict d;
            d["code_objects"] = sum.code_objects;
            d["failed"] = sum.failed;
            d["instructions"] = sum.instructions;
            d["blocks"] = sum.blocks;
            d["last_uses"] = sum.last_uses;
            return d;
        },
        py::arg("codes"), "Analyze many module code objects; counts only (for benchmarks).");
    m.attr("REWRITER_VERSION") = an::kRewriterVersion;
    m.def(
        "rewrite",
        [](py::handle code, bool main, const std::string& mode, const std::vector<int>& keep_lines,
           const std::vector<std::string>& ignore_rules) {
            const an::ReleasePolicy policy = policy_from(main, mode, keep_lines, ignore_rules);
            auto converted = code_from_python(code);
            const an::RewriteResult result = unwrap(an::rewrite_module(*converted, policy));
            PyObject* out = an::cpython::rewrite_result_to_python(code.ptr(), result);
            if (out == nullptr) throw py::error_already_set();
            return py::reinterpret_steal<py::object>(out);
        },
        py::arg("code"), py::arg("main") = false, py::arg("mode") = "safe", py::arg("keep_lines") = std::vector<int>{},
        py::arg("ignore_rules") = std::vector<std::string>{},
        "Early freeing on a module's code object: (new code, releases, skips). `main`: the module is "
        "__main__ (its module-level names are released too).");
    m.def(
        "plain_data",
        [](py::handle module_code, bool main) {
            auto converted = code_from_python(module_code);
            const an::CodeAnalysis analysis = an::analyze_code(*converted);
            an::ProvenanceOptions options;
            options.module_is_main = main;
            const an::ModuleProvenance p = an::analyze_provenance(analysis, options);
            py::dict out;
            const std::function<void(const an::CodeAnalysis&, bool)> visit = [&](const an::CodeAnalysis& a, bool root) {
                for (const an::CodeAnalysis& c : a.children) visit(c, false);
                const auto it = p.codes.find(a.code);
                if (it == p.codes.end()) return;
                const an::SlotUniverse vars = root ? an::name_slots(*a.code) : a.locals;
                py::dict vars_out;
                for (std::size_t s = 0; s < vars.size() && s < it->second.plain.size(); ++s) {
                    const auto& f = it->second;
                    const std::int32_t h = f.handle_of[s];
                    vars_out[py::str(vars.names[s])] = py::make_tuple(
                        bool(f.plain[s]), f.why_not[s], bool(f.pinned[s]),
                        h >= 0 ? py::object(py::str(vars.names[static_cast<std::size_t>(h)])) : py::object(py::none()),
                        bool(f.pointless[s]));
                }
                out[py::str(a.code->qualname)] = vars_out;
            };
            visit(analysis, true);
            return py::make_tuple(out, p.converged);
        },
        py::arg("module_code"), py::arg("main") = false,
        "({qualname: {variable: (plain, why not, pinned, handle of, pointless)}}, converged): the plain-data "
        "analysis; pointless: it only holds constants or functions, never worth releasing.");
    m.def(
        "policy_rules",
        []() {
            py::list out;
            for (const an::PolicyRule& r : an::policy_rules())
                out.append(py::make_tuple(std::string(r.id), std::string(r.meaning)));
            return out;
        },
        "[(rule id, meaning)] of the early-freeing policy.");
    m.def(
        "imports",
        [](py::handle module_code) {
            auto converted = code_from_python(module_code);
            an::ModuleImports result = unwrap(an::analyze_imports(*converted));
            py::list out;
            for (const an::ImportFact& f : result.imports) out.append(import_fact(f));
            return out;
        },
        py::arg("module_code"), "Every import statement of a module and where its bound name is read.");
    m.def(
        "module_names",
        [](py::handle module_code) {
            auto converted = code_from_python(module_code);
            an::ModuleNames result = unwrap(an::analyze_module_names(*converted));
            py::list names;
            for (const an::ModuleNameFact& f : result.names) {
                py::dict d;
                d["name"] = f.name;
                d["read_by"] = f.read_by;
                d["written_by"] = f.written_by;
                d["exported"] = f.exported;
                d["module_only"] = f.module_only;
                d["last_use_lines"] = f.last_use_lines;
                names.append(d);
            }
            py::dict out;
            out["names"] = names;
            out["dynamic"] = result.dynamic_reasons;
            return out;
        },
        py::arg("module_code"), "Module-level names and which code objects read them.");
}
