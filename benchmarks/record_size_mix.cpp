// ====================================================================================================
// Records the request sizes a Python program makes of CPython's MEM and OBJ allocators (malloc,
// calloc, and realloc's new size), adding them to a histogram file that bench_alloc replays as its
// "python mix". Runs the program exactly as python3.11 would (Py_RunMain), on pymalloc.
//   build/benchmarks/record_size_mix OUT.csv [python3.11 arguments...]
// benchmarks/data/python_size_mix.csv was made by `make size-mix` (Makefile) from the workloads.
// ====================================================================================================
#include <Python.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

namespace {

PyMemAllocatorEx inner[2];
std::vector<unsigned long long> counts(1 << 20, 0);  // by size; larger sizes in the last slot

inline void count(size_t n) { ++counts[n < counts.size() ? n : counts.size() - 1]; }

template <int D>
void* counted_malloc(void*, size_t n) {
    count(n);
    return inner[D].malloc(inner[D].ctx, n);
}
template <int D>
void* counted_calloc(void*, size_t nelem, size_t elsize) {
    count(nelem * elsize);
    return inner[D].calloc(inner[D].ctx, nelem, elsize);
}
template <int D>
void* counted_realloc(void*, void* p, size_t n) {
    count(n);
    return inner[D].realloc(inner[D].ctx, p, n);
}
template <int D>
void counted_free(void*, void* p) {
    inner[D].free(inner[D].ctx, p);
}

template <int D>
void wrap(PyMemAllocatorDomain domain) {
    PyMem_GetAllocator(domain, &inner[D]);
    PyMemAllocatorEx a = {nullptr, counted_malloc<D>, counted_calloc<D>, counted_realloc<D>, counted_free<D>};
    PyMem_SetAllocator(domain, &a);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s OUT.csv [python3.11 arguments...]\n", argv[0]);
        return 2;
    }
    const char* out = argv[1];
    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    if (PyStatus_Exception(Py_PreInitialize(&pre))) return 1;
    wrap<0>(PYMEM_DOMAIN_MEM);
    wrap<1>(PYMEM_DOMAIN_OBJ);
    // argv for CPython: our own name, then the program's arguments.
    std::vector<char*> args = {argv[0]};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus status = PyConfig_SetBytesArgv(&config, int(args.size()), args.data());
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);
    int code = Py_RunMain();

    // Merge with what the file holds already.
    std::map<size_t, unsigned long long> histogram;
    if (FILE* f = std::fopen(out, "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f)) {
            size_t size;
            unsigned long long n;
            if (std::sscanf(line, "%zu,%llu", &size, &n) == 2) histogram[size] += n;
        }
        std::fclose(f);
    }
    for (size_t size = 0; size < counts.size(); ++size) {
        if (counts[size] != 0) histogram[size] += counts[size];
    }
    FILE* f = std::fopen(out, "w");
    if (f == nullptr) return 1;
    std::fprintf(f,
                 "# request size (bytes; %zu means that or more),calls to PyMem_/PyObject_ malloc, calloc, realloc\n",
                 counts.size() - 1);
    for (auto [size, n] : histogram) std::fprintf(f, "%zu,%llu\n", size, n);
    std::fclose(f);
    return code;
}
