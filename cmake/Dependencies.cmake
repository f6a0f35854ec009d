# Every system dependency, found once, failing fast with the Debian package that provides it.

function(shrinkpy_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "${what} not found: apt-get install ${package}  (or run `make deps` as root)")
  endif()
endfunction()

# mimalloc is loaded with dlopen only when SHRINKPY_ALLOCATOR=mimalloc (Debian's libmimalloc.so.2
# exports malloc/free, so linking it would silently replace glibc malloc for every choice);
# the build only needs its header.
find_path(SHRINKPY_MIMALLOC_INCLUDE mimalloc.h)
shrinkpy_require(SHRINKPY_MIMALLOC_INCLUDE "mimalloc.h" libmimalloc-dev)

if(SHRINKPY_BUILD_TESTS)
  find_package(GTest QUIET)
  shrinkpy_require(GTest_FOUND "GoogleTest" libgtest-dev)
endif()
if(SHRINKPY_BUILD_BENCHMARKS)
  find_package(benchmark QUIET)
  shrinkpy_require(benchmark_FOUND "Google Benchmark" libbenchmark-dev)
endif()
if(SHRINKPY_BUILD_PYTHON_EXTENSION)
  set(PYBIND11_PYTHON_VERSION 3.11)
  set(PYTHON_EXECUTABLE "${SHRINKPY_PYTHON}")
  find_package(pybind11 CONFIG QUIET)
  shrinkpy_require(pybind11_FOUND "pybind11" pybind11-dev)
endif()
