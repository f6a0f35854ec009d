// ====================================================================================================
// Allocation throughput of the arena against the anchors, each called the way CPython calls an
// allocator (through a PyMemAllocatorEx, the OBJ domain's functions): pymalloc (CPython's own,
// from libpython3.11), glibc malloc (CPython's malloc set), mimalloc (Debian's libmimalloc 2.0).
// Patterns, every one a batch of operations per iteration:
//   Lifo/N/size      allocate N blocks, free them newest first (a function's temporaries)
//   Fifo/N/size      allocate N blocks, free them oldest first (a queue)
//   Random/size      a working set of 10000 blocks, each step frees a random one and allocates anew
//   PythonMix        the same with sizes drawn from requests recorded from the workloads
//                    (data/python_size_mix.csv, `make size-mix`)
// A benchmark, not a test; target: small-object throughput at least 0.95x pymalloc's. Run:
//   cmake --build build --target bench_alloc && build/benchmarks/bench_alloc
// ====================================================================================================
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cpython_compat.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace {

using shrinkpy::alloc::Backend;

struct Allocator {
    std::string name;
    PyMemAllocatorEx api;
};

std::vector<Allocator> allocators() {
    std::vector<Allocator> out;
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    if (PyStatus_Exception(Py_PreInitialize(&pre))) return out;
    PyMemAllocatorEx a;
    _PyMem_SetupAllocators(PYMEM_ALLOCATOR_MALLOC);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &a);
    out.push_back({"glibc", a});
    _PyMem_SetupAllocators(PYMEM_ALLOCATOR_PYMALLOC);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &a);
    out.push_back({"pymalloc", a});
    Backend mi;
    const char* error = nullptr;
    if (shrinkpy::alloc::mimalloc_backend(&mi, &error)) {
        out.push_back({"mimalloc", {mi.ctx, mi.malloc, mi.calloc, mi.realloc, mi.free}});
    }
    Backend arena[shrinkpy::alloc::kDomainCount];
    if (shrinkpy::alloc::arena_backends(shrinkpy::alloc::ArenaConfig{}, arena, &error)) {
        const Backend& b = arena[int(shrinkpy::alloc::Domain::obj)];
        out.push_back({"arena", {b.ctx, b.malloc, b.calloc, b.realloc, b.free}});
    }
    return out;
}

void lifo(benchmark::State& state, PyMemAllocatorEx a, size_t n, size_t size) {
    std::vector<void*> blocks(n);
    for (auto _ : state) {
        for (size_t i = 0; i < n; ++i) blocks[i] = a.malloc(a.ctx, size);
        for (size_t i = n; i-- > 0;) a.free(a.ctx, blocks[i]);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(int64_t(state.iterations() * n * 2));
}

void fifo(benchmark::State& state, PyMemAllocatorEx a, size_t n, size_t size) {
    std::vector<void*> blocks(n);
    for (auto _ : state) {
        for (size_t i = 0; i < n; ++i) blocks[i] = a.malloc(a.ctx, size);
        for (size_t i = 0; i < n; ++i) a.free(a.ctx, blocks[i]);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(int64_t(state.iterations() * n * 2));
}

// A working set of `slots` blocks; each step replaces a random one. Indices and sizes are drawn
// before timing.
void replace_random(benchmark::State& state, PyMemAllocatorEx a, const std::vector<size_t>& sizes) {
    constexpr size_t kSlots = 10000, kSteps = 1 << 16;
    std::mt19937_64 rng(42);
    std::vector<uint32_t> victims(kSteps);
    for (auto& v : victims) v = uint32_t(rng() % kSlots);
    std::vector<void*> slots(kSlots);
    for (size_t i = 0; i < kSlots; ++i) slots[i] = a.malloc(a.ctx, sizes[i % sizes.size()]);
    size_t step = 0;
    for (auto _ : state) {
        for (size_t k = 0; k < 1000; ++k, ++step) {
            uint32_t v = victims[step % kSteps];
            a.free(a.ctx, slots[v]);
            slots[v] = a.malloc(a.ctx, sizes[step % sizes.size()]);
        }
        benchmark::ClobberMemory();
    }
    for (void* p : slots) a.free(a.ctx, p);
    state.SetItemsProcessed(int64_t(state.iterations() * 2000));
}

std::vector<size_t> uniform_sizes(size_t lo, size_t hi) {
    std::mt19937_64 rng(7);
    std::vector<size_t> sizes(1 << 16);
    for (auto& s : sizes) s = lo + rng() % (hi - lo + 1);
    return sizes;
}

// Sizes drawn from the recorded histogram (benchmarks/data/python_size_mix.csv).
std::vector<size_t> python_sizes() {
    std::vector<std::pair<size_t, double>> histogram;
    if (FILE* f = std::fopen(SHRINKPY_SIZE_MIX, "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f)) {
            size_t size;
            unsigned long long n;
            if (std::sscanf(line, "%zu,%llu", &size, &n) == 2) histogram.emplace_back(size, double(n));
        }
        std::fclose(f);
    }
    std::vector<size_t> sizes;
    if (histogram.empty()) return sizes;
    std::vector<double> weights;
    for (auto& [size, n] : histogram) weights.push_back(n);
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    std::mt19937_64 rng(11);
    sizes.resize(1 << 16);
    for (auto& s : sizes) s = histogram[pick(rng)].first;
    return sizes;
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    static const std::vector<size_t> small = uniform_sizes(1, 512);
    static const std::vector<size_t> medium = uniform_sizes(513, 16384);
    static const std::vector<size_t> mix = python_sizes();
    for (const Allocator& a : allocators()) {
        for (size_t size : {32, 64, 256}) {
            for (size_t n : {1, 100, 10000}) {
                std::string suffix = "/" + std::to_string(n) + "/" + std::to_string(size) + "/" + a.name;
                benchmark::RegisterBenchmark(("Lifo" + suffix).c_str(), lifo, a.api, n, size);
                if (n > 1) benchmark::RegisterBenchmark(("Fifo" + suffix).c_str(), fifo, a.api, n, size);
            }
        }
        benchmark::RegisterBenchmark(("Random/small/" + a.name).c_str(), replace_random, a.api, small);
        benchmark::RegisterBenchmark(("Random/medium/" + a.name).c_str(), replace_random, a.api, medium);
        if (!mix.empty()) benchmark::RegisterBenchmark(("PythonMix/" + a.name).c_str(), replace_random, a.api, mix);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
