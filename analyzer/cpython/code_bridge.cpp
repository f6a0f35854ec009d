// ====================================================================================================
// CPython code objects <-> the analyzer, in the plain C API (code_bridge.hpp).
// ====================================================================================================
#define PY_SSIZE_T_CLEAN  // before Python.h: Py_BuildValue with "s#" takes Py_ssize_t
#include "code_bridge.hpp"

#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer::cpython {
namespace {

bool bytes_of(PyObject* obj, std::string& out) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(obj, &data, &size) != 0) return false;
    out.assign(data, static_cast<std::size_t>(size));
    return true;
}

bool strings_of(PyObject* tuple, std::vector<std::string>& out) {
    if (!PyTuple_Check(tuple)) return false;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); ++i) {
        PyObject* item = PyTuple_GET_ITEM(tuple, i);
        if (!PyUnicode_Check(item)) return false;
        out.push_back(text_of(item));
    }
    return true;
}

Constant constant_from_python(PyObject* obj, int depth, Error& error, bool& ok) {
    using Kind = Constant::Kind;
    Constant c;
    if (depth > 100) {
        c.kind = Kind::other;
        c.text = "...";
    } else if (obj == Py_None) {
        c.kind = Kind::none;
    } else if (PyBool_Check(obj)) {
        c.kind = Kind::boolean;
        c.text = obj == Py_True ? "True" : "False";
    } else if (PyUnicode_Check(obj)) {
        c.kind = Kind::string;
        c.text = text_of(obj);
    } else if (PyBytes_Check(obj)) {
        c.kind = Kind::bytes;
        bytes_of(obj, c.text);
    } else if (PyTuple_Check(obj) || PyFrozenSet_Check(obj)) {
        c.kind = PyTuple_Check(obj) ? Kind::tuple : Kind::frozenset;
        Ref it(PyObject_GetIter(obj));
        if (!it) {
            ok = false;
            return c;
        }
        while (PyObject* item = PyIter_Next(it.get())) {
            c.items.push_back(constant_from_python(item, depth + 1, error, ok));
            Py_DECREF(item);
            if (!ok) return c;
        }
        if (PyErr_Occurred()) ok = false;
    } else if (PyCode_Check(obj)) {
        c.kind = Kind::code;
        c.code = code_from_python(obj, error);
        if (!c.code) ok = false;
    } else {
        c.kind = PyLong_Check(obj)      ? Kind::integer
                 : PyFloat_Check(obj)   ? Kind::floating
                 : PyComplex_Check(obj) ? Kind::complex
                 : obj == Py_Ellipsis   ? Kind::ellipsis
                                        : Kind::other;
        Ref repr(PyObject_Repr(obj));
        if (repr) {
            c.text = text_of(repr.get());
        } else {
            PyErr_Clear();
            c.text = "?";
        }
    }
    return c;
}

PyObject* bytes_object(const std::string& s) {
    return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

bool set_item(PyObject* dict, const char* key, PyObject* value) {
    if (value == nullptr) return false;
    const int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc == 0;
}

}  // namespace

// UTF-8 of a str; lone surrogates (legal in names of code built by hand) keep their repr. Never
// PyUnicode_AsUTF8: it caches a UTF-8 copy inside every non-ASCII str it sees, which would grow
// the program's strings (sys.getsizeof shows it) just because their code was analysed.
std::string text_of(PyObject* obj) {
    if (PyUnicode_IS_READY(obj) && PyUnicode_IS_ASCII(obj)) {
        return std::string(static_cast<const char*>(PyUnicode_DATA(obj)),
                           static_cast<std::size_t>(PyUnicode_GET_LENGTH(obj)));
    }
    if (PyObject* bytes = PyUnicode_AsUTF8String(obj)) {
        std::string out(PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
        Py_DECREF(bytes);
        return out;
    }
    PyErr_Clear();
    Ref repr(PyObject_ASCII(obj));  // ASCII-only: no cached UTF-8 either
    if (!repr || !PyUnicode_IS_ASCII(repr.get())) {
        PyErr_Clear();
        return "?";
    }
    return std::string(static_cast<const char*>(PyUnicode_DATA(repr.get())),
                       static_cast<std::size_t>(PyUnicode_GET_LENGTH(repr.get())));
}

std::shared_ptr<const CodeObject> code_from_python(PyObject* obj, Error& error) {
    if (!PyCode_Check(obj)) {
        error =
            make_error(Section::metadata, -1, -1, std::string("expected a code object, got ") + Py_TYPE(obj)->tp_name);
        return nullptr;
    }
    auto* co = reinterpret_cast<PyCodeObject*>(obj);
    auto code = std::make_shared<CodeObject>();
    code->magic = kMagic311;  // this module is built for and runs in CPython 3.11
    code->argcount = co->co_argcount;
    code->posonlyargcount = co->co_posonlyargcount;
    code->kwonlyargcount = co->co_kwonlyargcount;
    code->stacksize = co->co_stacksize;
    code->flags = static_cast<std::uint32_t>(co->co_flags);
    code->firstlineno = co->co_firstlineno;
    Ref co_code(PyCode_GetCode(co));  // de-specialized, caches zeroed (_PyCode_GetCode)
    if (!co_code || !bytes_of(co_code.get(), code->code) || !bytes_of(co->co_exceptiontable, code->exceptiontable) ||
        !bytes_of(co->co_linetable, code->linetable) || !strings_of(co->co_names, code->names) ||
        !strings_of(co->co_localsplusnames, code->localsplus_names) ||
        !bytes_of(co->co_localspluskinds, code->localsplus_kinds)) {
        error = make_error(Section::metadata, -1, -1, "the code object's tables cannot be read");
        return nullptr;
    }
    code->filename = text_of(co->co_filename);
    code->name = text_of(co->co_name);
    code->qualname = text_of(co->co_qualname);
    bool ok = true;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(co->co_consts) && ok; ++i) {
        code->consts.push_back(constant_from_python(PyTuple_GET_ITEM(co->co_consts, i), 0, error, ok));
    }
    if (!ok) {
        if (error.reason.empty()) error = make_error(Section::metadata, -1, -1, "a constant cannot be read");
        return nullptr;
    }
    return code;
}

PyObject* apply_rewrite(PyObject* code, const RewrittenCode& rewritten, PyObject* counter) {
    if (!rewritten.any_changed()) {
        Py_INCREF(code);
        return code;
    }
    auto* co = reinterpret_cast<PyCodeObject*>(code);
    const Py_ssize_t count = PyTuple_GET_SIZE(co->co_consts);
    if (rewritten.append_counter && counter == nullptr) {
        PyErr_SetString(PyExc_ValueError, "the rewritten code counts its releases but no counter was given");
        return nullptr;
    }
    const Py_ssize_t appended = (rewritten.append_counter ? 1 : 0) + (rewritten.append_none ? 1 : 0);
    Ref consts(PyTuple_New(count + appended));
    if (!consts) return nullptr;
    std::size_t child = 0;
    for (Py_ssize_t i = 0; i < count; ++i) {
        PyObject* item = PyTuple_GET_ITEM(co->co_consts, i);
        PyObject* replaced = nullptr;
        if (PyCode_Check(item) && child < rewritten.children.size()) {
            replaced = apply_rewrite(item, rewritten.children[child++], counter);
            if (replaced == nullptr) return nullptr;
        } else {
            Py_INCREF(item);
            replaced = item;
        }
        PyTuple_SET_ITEM(consts.get(), i, replaced);
    }
    if (rewritten.append_counter) {
        Py_INCREF(counter);
        PyTuple_SET_ITEM(consts.get(), count, counter);
    }
    if (rewritten.append_none) {
        Py_INCREF(Py_None);
        PyTuple_SET_ITEM(consts.get(), count + appended - 1, Py_None);
    }
    Ref kwargs(PyDict_New());
    if (!kwargs || PyDict_SetItemString(kwargs.get(), "co_consts", consts.get()) != 0) return nullptr;
    if (rewritten.changed) {
        if (!set_item(kwargs.get(), "co_code", bytes_object(rewritten.code)) ||
            !set_item(kwargs.get(), "co_exceptiontable", bytes_object(rewritten.exceptiontable)) ||
            !set_item(kwargs.get(), "co_linetable", bytes_object(rewritten.linetable)) ||
            !set_item(kwargs.get(), "co_stacksize", PyLong_FromLong(rewritten.stacksize))) {
            return nullptr;
        }
    }
    Ref replace(PyObject_GetAttrString(code, "replace"));
    Ref no_args(PyTuple_New(0));
    if (!replace || !no_args) return nullptr;
    return PyObject_Call(replace.get(), no_args.get(), kwargs.get());
}

PyObject* rewrite_result_to_python(PyObject* code, const RewriteResult& result, PyObject* counter) {
    Ref new_code(apply_rewrite(code, result.root, counter));
    Ref releases(PyTuple_New(static_cast<Py_ssize_t>(result.releases.size())));
    Ref skips(PyTuple_New(static_cast<Py_ssize_t>(result.skips.size())));
    if (!new_code || !releases || !skips) return nullptr;
    for (std::size_t i = 0; i < result.releases.size(); ++i) {
        const Release& r = result.releases[i];
        PyObject* item =
            Py_BuildValue("(s#is#ssO)", r.qualname.data(), static_cast<Py_ssize_t>(r.qualname.size()), r.line,
                          r.name.data(), static_cast<Py_ssize_t>(r.name.size()), release_kind_name(r.kind),
                          release_reason(r.kind), r.maybe_unbound ? Py_True : Py_False);
        if (item == nullptr) return nullptr;
        PyTuple_SET_ITEM(releases.get(), static_cast<Py_ssize_t>(i), item);
    }
    for (std::size_t i = 0; i < result.skips.size(); ++i) {
        const Skip& s = result.skips[i];
        PyObject* item = Py_BuildValue("(s#is#s#)", s.qualname.data(), static_cast<Py_ssize_t>(s.qualname.size()),
                                       s.line, s.rule.data(), static_cast<Py_ssize_t>(s.rule.size()), s.reason.data(),
                                       static_cast<Py_ssize_t>(s.reason.size()));
        if (item == nullptr) return nullptr;
        PyTuple_SET_ITEM(skips.get(), static_cast<Py_ssize_t>(i), item);
    }
    return PyTuple_Pack(3, new_code.get(), releases.get(), skips.get());
}

PyObject* rewrite_to_python(PyObject* code, const ReleasePolicy& policy, PyObject* counter) {
    Error error;
    const std::shared_ptr<const CodeObject> converted = code_from_python(code, error);
    if (!converted) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, error.describe().c_str());
        return nullptr;
    }
    const Result<RewriteResult> result = rewrite_module(*converted, policy);
    if (!result) {
        PyErr_SetString(PyExc_ValueError, result.error().describe().c_str());
        return nullptr;
    }
    return rewrite_result_to_python(code, *result, counter);
}

}  // namespace shrinkpy::analyzer::cpython
