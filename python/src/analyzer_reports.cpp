// ====================================================================================================
// CodeReport / InstructionReport: analyzer results as Python objects.
// ====================================================================================================
#include "analyzer_reports.hpp"

#include "analyzer_convert.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace py = pybind11;

namespace shrinkpy::python {
namespace {

py::tuple names_of(const analyzer::SlotSets& sets, std::size_t row, const analyzer::SlotUniverse& slots) {
    const std::vector<std::uint32_t> members = sets.members(row);
    py::tuple out(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) out[k] = py::str(slots.names[members[k]]);
    return out;
}

}  // namespace

py::object error_object(const analyzer::Error& error) {
    try {
        raise_error(error);
    } catch (py::error_already_set& e) {
        return e.value();
    }
    return py::none();
}

CodeReport make_report(const analyzer::CodeAnalysis& a) {
    CodeReport r;
    const analyzer::CodeObject& code = *a.code;
    r.name = code.name;
    r.qualname = code.qualname;
    r.filename = code.filename;
    r.firstlineno = code.firstlineno;
    r.co_stacksize = code.stacksize;
    r.error = a.error ? error_object(*a.error) : py::none();
    py::list observers;
    for (const analyzer::Observer& o : a.observers) observers.append(o.reason);
    r.observers = py::tuple(observers);
    for (const analyzer::CodeAnalysis& child : a.children) r.children.append(make_report(child));
    if (a.error || !a.cfg) return r;

    r.stacksize = a.cfg->max_depth;
    for (std::uint32_t b = 0; b < a.cfg->blocks.size(); ++b) r.unreachable_blocks += a.cfg->reachable(b) ? 0 : 1;
    py::list locals;
    for (const std::string& name : a.locals.names) locals.append(name);
    r.locals = py::tuple(locals);
    std::vector<std::vector<std::uint32_t>> last_at(a.instrs->instrs.size());
    for (const analyzer::LastUse& use : a.last_uses) last_at[use.instr].push_back(use.slot);
    for (std::size_t i = 0; i < a.instrs->instrs.size(); ++i) {
        const analyzer::Instr& in = a.instrs->instrs[i];
        InstructionReport ir;
        ir.offset = static_cast<int>(in.origin_bytes());
        ir.opcode = in.opcode;
        ir.opname = analyzer::opcode_name(in.opcode);
        ir.arg = in.arg;
        ir.line = in.position.line;
        ir.block = static_cast<int>(a.cfg->block_of[i]);
        ir.depth = a.cfg->depth_before[i];
        ir.live_before = names_of(a.live.live_before, i, a.locals);
        ir.live_after = names_of(a.live.live_after, i, a.locals);
        ir.bound_before = names_of(a.bound.bound_before, i, a.locals);
        py::tuple last(last_at[i].size());
        for (std::size_t k = 0; k < last_at[i].size(); ++k) last[k] = py::str(a.locals.names[last_at[i][k]]);
        ir.last_uses = last;
        r.instructions.append(ir);
    }
    for (const analyzer::EntryDeath& d : a.entry_deaths) {
        const analyzer::Instr& first = a.instrs->instrs[a.cfg->blocks[d.block].begin];
        r.deaths.append(py::make_tuple(first.origin_bytes(), a.locals.names[d.slot], d.bound));
    }
    return r;
}

void register_reports(py::module_& m) {
    py::class_<InstructionReport>(m, "InstructionReport", "Liveness facts before and after one instruction.")
        .def_readonly("offset", &InstructionReport::offset)
        .def_readonly("opcode", &InstructionReport::opcode)
        .def_readonly("opname", &InstructionReport::opname)
        .def_readonly("arg", &InstructionReport::arg)
        .def_readonly("line", &InstructionReport::line)
        .def_readonly("block", &InstructionReport::block)
        .def_readonly("depth", &InstructionReport::depth)
        .def_readonly("live_before", &InstructionReport::live_before)
        .def_readonly("live_after", &InstructionReport::live_after)
        .def_readonly("bound_before", &InstructionReport::bound_before)
        .def_readonly("last_uses", &InstructionReport::last_uses)
        .def("__repr__", [](const InstructionReport& ir) {
            return "<" + std::to_string(ir.offset) + " " + ir.opname + " " + std::to_string(ir.arg) + ">";
        });
    py::class_<CodeReport>(m, "CodeReport", "The analysis of one code object and its nested code objects.")
        .def_readonly("name", &CodeReport::name)
        .def_readonly("qualname", &CodeReport::qualname)
        .def_readonly("filename", &CodeReport::filename)
        .def_readonly("firstlineno", &CodeReport::firstlineno)
        .def_readonly("error", &CodeReport::error)
        .def_readonly("locals", &CodeReport::locals)
        .def_readonly("observers", &CodeReport::observers)
        .def_readonly("stacksize", &CodeReport::stacksize)
        .def_readonly("co_stacksize", &CodeReport::co_stacksize)
        .def_readonly("unreachable_blocks", &CodeReport::unreachable_blocks)
        .def_readonly("instructions", &CodeReport::instructions)
        .def_readonly("deaths", &CodeReport::deaths)
        .def_readonly("children", &CodeReport::children)
        .def("__repr__", [](const CodeReport& r) { return "<CodeReport " + r.qualname + ">"; });
}

}  // namespace shrinkpy::python
