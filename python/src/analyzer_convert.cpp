// ====================================================================================================
// Conversion of code objects and the AnalyzerError exception type.
// ====================================================================================================
#include "analyzer_convert.hpp"

#include <Python.h>

#include "shrinkpy/analyzer/opcodes.hpp"

namespace py = pybind11;

namespace shrinkpy::python {
namespace {

PyObject* g_error_type = nullptr;

std::string bytes_of(py::handle obj) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(obj.ptr(), &data, &size) != 0) throw py::error_already_set();
    return std::string(data, static_cast<std::size_t>(size));
}

std::vector<std::string> strings_of(py::handle tuple) {
    std::vector<std::string> out;
    for (py::handle item : tuple) out.push_back(py::cast<std::string>(item));
    return out;
}

analyzer::Constant constant_from_python(py::handle obj, int depth) {
    using Kind = analyzer::Constant::Kind;
    analyzer::Constant c;
    if (depth > 100) {
        c.kind = Kind::other;
        c.text = "...";
        return c;
    }
    if (obj.is_none()) {
        c.kind = Kind::none;
    } else if (PyBool_Check(obj.ptr())) {
        c.kind = Kind::boolean;
        c.text = obj.ptr() == Py_True ? "True" : "False";
    } else if (PyUnicode_Check(obj.ptr())) {
        c.kind = Kind::string;
        Py_ssize_t size = 0;
        const char* utf8 = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
        if (utf8 == nullptr) {  // lone surrogates: keep the repr
            PyErr_Clear();
            c.text = py::repr(obj).cast<std::string>();
        } else {
            c.text.assign(utf8, static_cast<std::size_t>(size));
        }
    } else if (PyBytes_Check(obj.ptr())) {
        c.kind = Kind::bytes;
        c.text = bytes_of(obj);
    } else if (PyTuple_Check(obj.ptr()) || PyFrozenSet_Check(obj.ptr())) {
        c.kind = PyTuple_Check(obj.ptr()) ? Kind::tuple : Kind::frozenset;
        for (py::handle item : obj) c.items.push_back(constant_from_python(item, depth + 1));
    } else if (PyCode_Check(obj.ptr())) {
        c.kind = Kind::code;
        c.code = code_from_python(obj);
    } else {
        c.kind = PyLong_Check(obj.ptr())      ? Kind::integer
                 : PyFloat_Check(obj.ptr())   ? Kind::floating
                 : PyComplex_Check(obj.ptr()) ? Kind::complex
                 : obj.ptr() == Py_Ellipsis   ? Kind::ellipsis
                                              : Kind::other;
        c.text = py::repr(obj).cast<std::string>();
    }
    return c;
}

}  // namespace

std::shared_ptr<const analyzer::CodeObject> code_from_python(py::handle obj) {
    if (!PyCode_Check(obj.ptr())) {
        raise_error(
            analyzer::make_error(analyzer::Section::metadata, -1, -1,
                                 "expected a code object, got " + py::str(py::type::of(obj)).cast<std::string>()));
    }
    auto* co = reinterpret_cast<PyCodeObject*>(obj.ptr());
    auto code = std::make_shared<analyzer::CodeObject>();
    code->magic = analyzer::kMagic311;  // this module is built for and runs in CPython 3.11
    code->argcount = co->co_argcount;
    code->posonlyargcount = co->co_posonlyargcount;
    code->kwonlyargcount = co->co_kwonlyargcount;
    code->stacksize = co->co_stacksize;
    code->flags = static_cast<std::uint32_t>(co->co_flags);
    code->firstlineno = co->co_firstlineno;
    code->code = bytes_of(obj.attr("co_code"));  // de-specialized, caches zeroed (_PyCode_GetCode)
    code->exceptiontable = bytes_of(co->co_exceptiontable);
    code->linetable = bytes_of(co->co_linetable);
    code->names = strings_of(co->co_names);
    code->localsplus_names = strings_of(co->co_localsplusnames);
    code->localsplus_kinds = bytes_of(co->co_localspluskinds);
    code->filename = py::cast<std::string>(co->co_filename);
    code->name = py::cast<std::string>(co->co_name);
    code->qualname = py::cast<std::string>(co->co_qualname);
    for (py::handle item : py::reinterpret_borrow<py::tuple>(co->co_consts)) {
        code->consts.push_back(constant_from_python(item, 0));
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
