// ====================================================================================================
// Conversion of code objects (through analyzer/cpython/code_bridge.hpp) and the AnalyzerError type.
// ====================================================================================================
#include "analyzer_convert.hpp"

#include <Python.h>

#include "code_bridge.hpp"
#include "shrinkpy/analyzer/opcodes.hpp"

namespace py = pybind11;

namespace shrinkpy::python {
namespace {

PyObject* g_error_type = nullptr;

}  // namespace

std::shared_ptr<const analyzer::CodeObject> code_from_python(py::handle obj) {
    analyzer::Error error;
    std::shared_ptr<const analyzer::CodeObject> code = analyzer::cpython::code_from_python(obj.ptr(), error);
    if (!code) {
        if (PyErr_Occurred()) throw py::error_already_set();
        raise_error(error);
    }
    return code;
}

void register_error_type(py::module_& m) {
    g_error_type = PyErr_NewExceptionWithDoc(
        "shrinkpy._analyzer.AnalyzerError",
        "The analyzer could not handle a code object. Attributes: section (str), offset (int, bytes "
        "into section, -1 if none), opcode (int, -1 if none), opname (str), reason (str).",
        PyExc_ValueError, nullptr);
    if (g_error_type == nullptr) throw py::error_already_set();
    m.add_object("AnalyzerError", py::handle(g_error_type));
}

void raise_error(const analyzer::Error& error) {
    py::object exc =
        py::reinterpret_steal<py::object>(PyObject_CallFunction(g_error_type, "s", error.describe().c_str()));
    if (!exc) throw py::error_already_set();
    exc.attr("section") = analyzer::section_name(error.section);
    exc.attr("offset") = error.offset;
    exc.attr("opcode") = error.opcode;
    exc.attr("opname") = error.opcode >= 0 ? analyzer::opcode_name(error.opcode) : "";
    exc.attr("reason") = error.reason;
    PyErr_SetObject(g_error_type, exc.ptr());
    throw py::error_already_set();
}

}  // namespace shrinkpy::python
