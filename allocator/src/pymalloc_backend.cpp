// CPython's pymalloc as a backend for MEM and OBJ.
//
// pymalloc knows the size class of each of its blocks but exposes no way to ask. It does let an
// embedder supply the arena allocator (PyObject_SetArenaAllocator). Ours hands out arenas aligned
// to their own size and records them in a bitmap indexed by address >> kArenaBits, so for any
// pointer we can tell in O(1) whether pymalloc serves it from a pool, and then read the block size
// from the pool header (cpython_compat.hpp). Blocks pymalloc passes on to PyMem_RawMalloc (over
// 512 bytes) are not in an arena; the RAW domain counts their bytes.
#include <sys/mman.h>

#include <climits>
#include <cstdint>

#include "cpython_compat.hpp"
#include "shrinkpy/alloc/backend.hpp"

namespace shrinkpy::alloc {
namespace {

using cpython::kArenaBits;
using cpython::kArenaSize;

// One bit per possible arena of the user address space (48 bits on x86-64 and aarch64 with
// 4-level tables: 2^28 bits = 32 MiB reserved, of which only the pages covering used addresses are
// ever touched, typically one).
constexpr unsigned kAddressBits = sizeof(void*) > 4 ? 48 : 32;
constexpr uintptr_t kArenaSlots = uintptr_t{1} << (kAddressBits - kArenaBits);
constexpr size_t kBitmapBytes = kArenaSlots / CHAR_BIT;

uint8_t* arena_bitmap = nullptr;
PyObjectArenaAllocator previous_arena_allocator;

bool arena_bitmap_reserve() {
    if (arena_bitmap != nullptr) return true;
    void* p = mmap(nullptr, kBitmapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    arena_bitmap = static_cast<uint8_t*>(p);
    return true;
}

bool in_aligned_arena(const void* ptr) {
    uintptr_t slot = reinterpret_cast<uintptr_t>(ptr) >> kArenaBits;
    if (slot >= kArenaSlots) return false;
    return (arena_bitmap[slot / CHAR_BIT] >> (slot % CHAR_BIT)) & 1u;
}

void mark_arena(void* arena, bool used) {
    uintptr_t slot = reinterpret_cast<uintptr_t>(arena) >> kArenaBits;
    uint8_t bit = uint8_t(1u << (slot % CHAR_BIT));
    if (used) {
        arena_bitmap[slot / CHAR_BIT] |= bit;
    } else {
        arena_bitmap[slot / CHAR_BIT] &= uint8_t(~bit);
    }
}

// Maps twice the size and trims both ends, so the arena starts on a multiple of its size.
void* aligned_arena_alloc(void*, size_t size) {
    if (size != kArenaSize) return previous_arena_allocator.alloc(previous_arena_allocator.ctx, size);
    size_t span = 2 * kArenaSize;
    void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    uintptr_t start = reinterpret_cast<uintptr_t>(p);
    uintptr_t aligned = (start + kArenaSize - 1) & ~(uintptr_t{kArenaSize} - 1);
    if (aligned > start) munmap(p, aligned - start);
    uintptr_t tail = aligned + kArenaSize;
    if (start + span > tail) munmap(reinterpret_cast<void*>(tail), start + span - tail);
    void* arena = reinterpret_cast<void*>(aligned);
    if (reinterpret_cast<uintptr_t>(arena) >> kArenaBits < kArenaSlots) mark_arena(arena, true);
    return arena;
}

void aligned_arena_free(void*, void* arena, size_t size) {
    if (!in_aligned_arena(arena)) {
        previous_arena_allocator.free(previous_arena_allocator.ctx, arena, size);
        return;
    }
    mark_arena(arena, false);
    munmap(arena, size);
}

PyMemAllocatorEx plain_pymalloc;

size_t unknown_block_size(void*, const void*) { return 0; }

size_t pymalloc_block_size(void*, const void* ptr) {
    if (!in_aligned_arena(ptr)) return 0;
    auto pool = reinterpret_cast<const cpython::PoolHeader*>(reinterpret_cast<uintptr_t>(ptr) &
                                                             ~(uintptr_t{cpython::kPoolSize} - 1));
    return size_t{pool->szidx + 1} << cpython::kAlignmentShift;
}

}  // namespace

Backend pymalloc_backend() {
    static bool ready = false;
    if (!ready) {
        // pymalloc's own functions, without the debug hooks PYTHONMALLOC=debug may have put on top.
        PyMemAllocatorEx current[3];
        const PyMemAllocatorDomain domains[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
        for (int i = 0; i < 3; ++i) PyMem_GetAllocator(domains[i], &current[i]);
        _PyMem_SetupAllocators(PYMEM_ALLOCATOR_PYMALLOC);
        PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &plain_pymalloc);
        for (int i = 0; i < 3; ++i) PyMem_SetAllocator(domains[i], &current[i]);
        if (arena_bitmap_reserve()) {
            PyObject_GetArenaAllocator(&previous_arena_allocator);
            PyObjectArenaAllocator aligned = {nullptr, aligned_arena_alloc, aligned_arena_free};
            PyObject_SetArenaAllocator(&aligned);
        }
        ready = true;
    }
    // pymalloc's own entry points, called directly: no trampoline on the hot path. Without the
    // bitmap (its reservation failed) block sizes are unknown and counted as 0.
    return {"pymalloc",
            plain_pymalloc.ctx,
            plain_pymalloc.malloc,
            plain_pymalloc.calloc,
            plain_pymalloc.realloc,
            plain_pymalloc.free,
            arena_bitmap != nullptr ? pymalloc_block_size : unknown_block_size,
            nullptr};
}

}  // namespace shrinkpy::alloc
