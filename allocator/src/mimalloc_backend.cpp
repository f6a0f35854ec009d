// Debian's mimalloc 2.0 as a backend, loaded with dlopen.
//
// Why dlopen: Debian builds libmimalloc.so.2 with MI_OVERRIDE, so the library exports malloc and
// free. Linked normally it would interpose glibc malloc for the whole process, whatever allocator
// the user chose. Loaded with RTLD_LOCAL after start-up, its malloc stays out of symbol lookup
// and only the mi_* functions we take from it are used.
#include <dlfcn.h>
#include <mimalloc.h>

#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

struct MimallocApi {
    decltype(&mi_malloc) malloc;
    decltype(&mi_calloc) calloc;
    decltype(&mi_realloc) realloc;
    decltype(&mi_free) free;
    decltype(&mi_usable_size) usable_size;
    decltype(&mi_is_in_heap_region) is_in_heap_region;
};

MimallocApi api;

void* mi_backend_malloc(void*, size_t size) { return api.malloc(size); }
void* mi_backend_calloc(void*, size_t nelem, size_t elsize) { return api.calloc(nelem, elsize); }
void* mi_backend_realloc(void*, void* ptr, size_t size) { return api.realloc(ptr, size); }
void mi_backend_free(void*, void* ptr) { api.free(ptr); }
size_t mi_backend_block_size(void*, const void* ptr) { return api.usable_size(ptr); }
// mimalloc 2.0: a segment-map lookup, O(1).
bool mi_backend_owns(void*, const void* ptr) { return api.is_in_heap_region(ptr); }

template <typename F>
bool resolve(void* handle, const char* symbol, F* out) {
    *out = reinterpret_cast<F>(dlsym(handle, symbol));
    return *out != nullptr;
}

}  // namespace

bool mimalloc_backend(Backend* out, const char** error) {
#if SHRINKPY_NO_DLOPEN
    (void)out;
    *error =
        "not available in a fully static interpreter: libmimalloc.so.2 is loaded with dlopen, which needs the "
        "shared C library (choose another allocator, or build the board with --dynamic)";
    return false;
#else
    static bool loaded = false;
    if (!loaded) {
        void* handle = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            *error = "cannot load libmimalloc.so.2 (apt-get install libmimalloc2.0)";
            return false;
        }
        if (!resolve(handle, "mi_malloc", &api.malloc) || !resolve(handle, "mi_calloc", &api.calloc) ||
            !resolve(handle, "mi_realloc", &api.realloc) || !resolve(handle, "mi_free", &api.free) ||
            !resolve(handle, "mi_usable_size", &api.usable_size) ||
            !resolve(handle, "mi_is_in_heap_region", &api.is_in_heap_region)) {
            *error = "libmimalloc.so.2 lacks part of the mimalloc 2.0 API";
            return false;
        }
        loaded = true;
    }
    *out = {"mimalloc",         nullptr,         mi_backend_malloc,     mi_backend_calloc,
            mi_backend_realloc, mi_backend_free, mi_backend_block_size, mi_backend_owns};
    return true;
#endif
}

}  // namespace shrinkpy::alloc
