// ====================================================================================================
// The import pass in the plain C API (import_bridge.hpp).
// ====================================================================================================
#define PY_SSIZE_T_CLEAN
#include "import_bridge.hpp"

#include "code_bridge.hpp"
#include "shrinkpy/analyzer/import_rewrite.hpp"

namespace shrinkpy::analyzer::cpython {
namespace {

PyObject* string_list(const std::vector<std::string>& items) {
    Ref list(PyList_New(static_cast<Py_ssize_t>(items.size())));
    if (!list) return nullptr;
    for (std::size_t i = 0; i < items.size(); ++i) {
        PyObject* s =
            PyUnicode_DecodeUTF8(items[i].data(), static_cast<Py_ssize_t>(items[i].size()), "surrogateescape");
        if (s == nullptr) return nullptr;
        PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), s);
    }
    return list.release();
}

PyObject* py_str(const std::string& s) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
}

bool put(PyObject* dict, const char* key, PyObject* value) {
    if (value == nullptr) return false;
    const int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc == 0;
}

// A constant the pass appends (spec tuples of str, None, int, bool) as a Python object.
PyObject* constant_to_python(const Constant& c) {
    switch (c.kind) {
        case Constant::Kind::none: Py_RETURN_NONE;
        case Constant::Kind::boolean: return PyBool_FromLong(c.text == "True");
        case Constant::Kind::integer: return PyLong_FromString(c.text.c_str(), nullptr, 10);
        case Constant::Kind::string: return py_str(c.text);
        case Constant::Kind::tuple: {
            Ref t(PyTuple_New(static_cast<Py_ssize_t>(c.items.size())));
            if (!t) return nullptr;
            for (std::size_t i = 0; i < c.items.size(); ++i) {
                PyObject* item = constant_to_python(c.items[i]);
                if (item == nullptr) return nullptr;
                PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), item);
            }
            return t.release();
        }
        default: PyErr_SetString(PyExc_ValueError, "the import pass made a constant it cannot express"); return nullptr;
    }
}

// `base` (a tuple) with the last `added` items of `values` appended.
template <typename T, typename Convert>
PyObject* extended(PyObject* base, const std::vector<T>& values, std::size_t added, Convert convert) {
    const Py_ssize_t count = PyTuple_GET_SIZE(base);
    Ref out(PyTuple_New(count + static_cast<Py_ssize_t>(added)));
    if (!out) return nullptr;
    for (Py_ssize_t i = 0; i < count; ++i) {
        Py_INCREF(PyTuple_GET_ITEM(base, i));
        PyTuple_SET_ITEM(out.get(), i, PyTuple_GET_ITEM(base, i));
    }
    for (std::size_t k = 0; k < added; ++k) {
        PyObject* item = convert(values[values.size() - added + k]);
        if (item == nullptr) return nullptr;
        PyTuple_SET_ITEM(out.get(), count + static_cast<Py_ssize_t>(k), item);
    }
    return out.release();
}

PyObject* bytes_of(const std::string& s) {
    return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

std::shared_ptr<const CodeObject> convert(PyObject* code) {
    Error error;
    auto converted = code_from_python(code, error);
    if (!converted && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, error.describe().c_str());
    return converted;
}

}  // namespace

bool import_policy_from_python(const char* mode, bool is_main, PyObject* eager_lines, PyObject* eager_modules,
                               PyObject* probe, PyObject* is_submodule, ImportPolicy& out) {
    const auto parsed = parse_import_mode(mode);
    if (!parsed) {
        PyErr_Format(PyExc_ValueError, "mode must be 'defer', 'drop' or 'off', not '%s'", mode);
        return false;
    }
    out.mode = *parsed;
    out.is_main = is_main;
    for (PyObject* source : {eager_lines, eager_modules}) {
        if (source == nullptr || source == Py_None) continue;
        Ref iterator(PyObject_GetIter(source));
        if (!iterator) return false;
        while (PyObject* item = PyIter_Next(iterator.get())) {
            if (source == eager_lines) {
                out.eager_lines.push_back(static_cast<std::int32_t>(PyLong_AsLong(item)));
            } else if (PyUnicode_Check(item)) {
                out.eager_modules.push_back(text_of(item));
            } else {
                PyErr_SetString(PyExc_TypeError, "eager_modules must hold str");
            }
            Py_DECREF(item);
            if (PyErr_Occurred()) return false;
        }
        if (PyErr_Occurred()) return false;
    }
    // The callables stay alive as long as the policy (which lives inside one call).
    if (probe != nullptr && probe != Py_None) {
        out.probe = [probe](const ImportFact& f) -> std::string {
            Ref answer(PyObject_CallFunction(probe, "s#is#", f.module.data(), static_cast<Py_ssize_t>(f.module.size()),
                                             static_cast<int>(f.level), f.imported.data(),
                                             static_cast<Py_ssize_t>(f.imported.size())));
            if (!answer) {
                PyErr_Clear();
                return "the loader's probe failed: kept as written";
            }
            return answer.get() == Py_None ? std::string() : text_of(answer.get());
        };
    }
    if (is_submodule != nullptr && is_submodule != Py_None) {
        out.is_submodule = [is_submodule](const std::string& name) -> bool {
            Ref answer(PyObject_CallFunction(is_submodule, "s#", name.data(), static_cast<Py_ssize_t>(name.size())));
            const int truth = answer ? PyObject_IsTrue(answer.get()) : -1;
            if (truth < 0) PyErr_Clear();
            return truth != 0;  // an error counts as "a submodule": the imports stay as written
        };
    }
    return true;
}

PyObject* import_fact_to_python(const ImportFact& f) {
    Ref d(PyDict_New());
    if (!d || !put(d.get(), "code", py_str(f.code_qualname)) ||
        !put(d.get(), "offset", PyLong_FromUnsignedLong(f.offset)) || !put(d.get(), "line", PyLong_FromLong(f.line)) ||
        !put(d.get(), "module", py_str(f.module)) || !put(d.get(), "level", PyLong_FromLong(f.level)) ||
        !put(d.get(), "imported", py_str(f.imported)) || !put(d.get(), "bound", py_str(f.bound)) ||
        !put(d.get(), "as_module", PyBool_FromLong(f.as_module)) ||
        !put(d.get(), "scope", PyUnicode_FromString(scope_name(f.scope))) ||
        !put(d.get(), "use", PyUnicode_FromString(use_name(f.use))) ||
        !put(d.get(), "readers", string_list(f.readers)) || !put(d.get(), "reason", py_str(f.reason))) {
        return nullptr;
    }
    return d.release();
}

PyObject* decisions_to_python(const ImportPlan& plan) {
    Ref list(PyList_New(static_cast<Py_ssize_t>(plan.decisions.size())));
    if (!list) return nullptr;
    for (std::size_t i = 0; i < plan.decisions.size(); ++i) {
        const ImportDecision& d = plan.decisions[i];
        Ref row(import_fact_to_python(d.fact));
        if (!row || !put(row.get(), "action", PyUnicode_FromString(import_action_name(d.action))) ||
            !put(row.get(), "verdict_reason", py_str(d.reason)) ||
            !put(row.get(), "also_import", string_list(d.also_import))) {
            return nullptr;
        }
        PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), row.release());
    }
    return list.release();
}

PyObject* import_plan_to_python(PyObject* code, const ImportPolicy& policy) {
    const auto converted = convert(code);
    if (!converted) return nullptr;
    auto plan = plan_imports(*converted, policy);
    if (!plan) {
        PyErr_SetString(PyExc_ValueError, plan.error().describe().c_str());
        return nullptr;
    }
    return decisions_to_python(*plan);
}

PyObject* rewrite_imports_to_python(PyObject* code, const ImportPolicy& policy) {
    const auto converted = convert(code);
    if (!converted) return nullptr;
    auto result = rewrite_imports(*converted, policy);
    if (!result) {
        PyErr_SetString(PyExc_ValueError, result.error().describe().c_str());
        return nullptr;
    }
    Ref decisions(decisions_to_python(result->plan));
    if (!decisions) return nullptr;
    if (!result->changed) return PyTuple_Pack(2, code, decisions.get());
    auto* co = reinterpret_cast<PyCodeObject*>(code);
    Ref consts(extended(co->co_consts, result->code.consts, result->consts_added, constant_to_python));
    Ref names(extended(co->co_names, result->code.names, result->names_added, py_str));
    Ref kwargs(PyDict_New());
    if (!consts || !names || !kwargs || !put(kwargs.get(), "co_code", bytes_of(result->code.code)) ||
        !put(kwargs.get(), "co_exceptiontable", bytes_of(result->code.exceptiontable)) ||
        !put(kwargs.get(), "co_linetable", bytes_of(result->code.linetable)) ||
        !put(kwargs.get(), "co_stacksize", PyLong_FromLong(result->code.stacksize)) ||
        PyDict_SetItemString(kwargs.get(), "co_consts", consts.get()) != 0 ||
        PyDict_SetItemString(kwargs.get(), "co_names", names.get()) != 0) {
        return nullptr;
    }
    Ref replace(PyObject_GetAttrString(code, "replace"));
    Ref no_args(PyTuple_New(0));
    if (!replace || !no_args) return nullptr;
    Ref rewritten(PyObject_Call(replace.get(), no_args.get(), kwargs.get()));
    if (!rewritten) return nullptr;
    return PyTuple_Pack(2, rewritten.get(), decisions.get());
}

}  // namespace shrinkpy::analyzer::cpython
