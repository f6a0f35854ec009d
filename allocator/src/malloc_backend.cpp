// glibc malloc as a backend.
#include <malloc.h>

#include <cstdlib>

#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

// CPython's _PyMem_RawMalloc/_PyMem_RawCalloc turn zero-byte requests into one byte so that
// every successful call returns a distinct pointer; keep that.
void* libc_malloc(void*, size_t size) { return std::malloc(size ? size : 1); }

void* libc_calloc(void*, size_t nelem, size_t elsize) {
    if (nelem == 0 || elsize == 0) nelem = elsize = 1;
    return std::calloc(nelem, elsize);
}

void* libc_realloc(void*, void* ptr, size_t size) { return std::realloc(ptr, size ? size : 1); }

void libc_free(void*, void* ptr) { std::free(ptr); }

size_t libc_block_size(void*, const void* ptr) { return malloc_usable_size(const_cast<void*>(ptr)); }

}  // namespace

Backend malloc_backend() {
    return {"malloc", nullptr, libc_malloc, libc_calloc, libc_realloc, libc_free, libc_block_size, nullptr};
}

}  // namespace shrinkpy::alloc
