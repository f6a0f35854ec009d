// _shrinkpy_alloc: shrinkpy._alloc's functions built into shrinkpython (allocator_control.hpp),
// for interpreters that cannot load the extension: a fully static trimmed build (`shrinkpy build`)
// has no dynamic loader that could bind an extension module to it. shrinkpy/__init__.py takes this
// module when the interpreter has it.
#include "allocator_module.hpp"

#include <Python.h>

#include "allocator_control.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::runtime {
namespace {

PyObject* install_allocator(PyObject*, PyObject* args) {
    const char* name = nullptr;
    if (!PyArg_ParseTuple(args, "|z:install_allocator", &name)) return nullptr;
    InstallOutcome r = install_allocator_named(name ? std::optional<std::string>(name) : std::nullopt);
    if (r.error == InstallOutcome::Error::bad_value) return PyErr_Format(PyExc_ValueError, "%s", r.message.c_str());
    if (r.error == InstallOutcome::Error::failed) return PyErr_Format(PyExc_RuntimeError, "%s", r.message.c_str());
    return PyUnicode_FromString(r.name.c_str());
}

PyObject* installed_allocator(PyObject*, PyObject*) {
    const char* name = runtime::installed_allocator();
    if (name == nullptr) Py_RETURN_NONE;
    return PyUnicode_FromString(name);
}

// A dict of Arena::census (live_pages, empty_pages, ...), or None without an arena.
PyObject* census(PyObject*, PyObject*) {
    alloc::ArenaCensus c;
    if (!alloc::arena_census(&c)) Py_RETURN_NONE;
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K}", "page_size", (unsigned long long)c.page_size, "live_pages",
                         (unsigned long long)c.live_pages, "empty_pages", (unsigned long long)c.empty_pages,
                         "metadata_bytes", (unsigned long long)c.metadata_bytes, "large_bytes",
                         (unsigned long long)c.large_bytes, "large_cached_bytes",
                         (unsigned long long)c.large_cached_bytes);
}

// None when the arena's structures hold (Arena::verify), else what does not; None without an arena.
PyObject* verify(PyObject*, PyObject*) {
    const char* problem = nullptr;
    if (!alloc::arena_verify(&problem) || problem == nullptr) Py_RETURN_NONE;
    return PyUnicode_FromString(problem);
}

PyObject* stats_json(PyObject*, PyObject*) {
    std::string json = allocator_stats_json();
    return PyUnicode_FromStringAndSize(json.data(), Py_ssize_t(json.size()));
}

PyMethodDef kMethods[] = {
    {"install_allocator", install_allocator, METH_VARARGS,
     "install_allocator(name=None): shrinkpy._alloc.install_allocator (the launcher's allocator is installed "
     "already: returns its name)."},
    {"installed_allocator", installed_allocator, METH_NOARGS, "The installed allocator's name, or None."},
    {"stats_json", stats_json, METH_NOARGS, "The allocator's statistics as JSON (see shrinkpy.allocator_stats)."},
    {"census", census, METH_NOARGS,
     "census() -> dict or None: the arena's resident pages that hold live blocks (live_pages) and those that hold "
     "none (empty_pages), its metadata and large mappings in bytes: what any allocator that does not move blocks "
     "must keep. Walks every pool: a measuring aid (the benchmarks' marks call it)."},
    {"verify", verify, METH_NOARGS,
     "verify() -> None or str: the arena's validators over every pool and list (None when all holds, or "
     "without an arena; else what does not). Walks every pool: for tests."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_shrinkpy_alloc",
                       "shrinkpy._alloc built into shrinkpython: the allocator's name and statistics.", -1, kMethods};

PyObject* init_module() { return PyModule_Create(&kModule); }

}  // namespace

void register_allocator_module() { PyImport_AppendInittab("_shrinkpy_alloc", &init_module); }

}  // namespace shrinkpy::runtime
