// Python modules compiled into shrinkpython at build time (runtime/tools/embed_modules.py writes
// them as marshalled code objects): the early-freeing loader hook today, the deferred-imports proxy
// later. Importing one needs neither the source tree nor the package: a trimmed static interpreter
// has them too.
#pragma once

#include <Python.h>

#include <cstddef>

namespace shrinkpy::runtime {

struct EmbeddedModule {
    const char* name;  // the module's name in sys.modules
    const unsigned char* data;
    std::size_t size;
};

// The table, terminated by a row whose name is null (generated: embedded_modules_data.cpp).
extern const EmbeddedModule kEmbeddedModules[];

// Executes the embedded module `name` as a fresh module registered in sys.modules. New
// reference; null with a Python exception set when there is no such module or it fails.
PyObject* import_embedded(const char* name);

}  // namespace shrinkpy::runtime
