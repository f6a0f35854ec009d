# A trimmed CPython build (`shrinkpy build --board X`, python/shrinkpy/cpython_build.py) instead of
# Debian's: SHRINKPY_CPYTHON_BUILD is the out-of-tree CPython 3.11 build directory. Defines the same
# targets as DebianPython.cmake, so that runtime/ and allocator/ link against either unchanged:
#   shrinkpy::python_headers   the build's pyconfig.h and the source tree's Include/
#   shrinkpy::libpython_embed  its libpython3.11.a with the libraries its built-in modules need
# The values come from the build's own _sysconfigdata (read by the host's python3.11, so this works
# for cross builds too).
#
# SHRINKPY_LIBPYTHON: fully-static links everything, the C library included (`-static`: no shared
# libpython, libstdc++ or libc; no extension modules and no dlopen); static links libpython in but
# the C library dynamically, laid out like /usr/bin/python3.11 (non-PIE, -export-dynamic) so that
# extension modules still load.

execute_process(
  COMMAND "${SHRINKPY_PYTHON}" -I -c [=[
import pathlib, sys
build = pathlib.Path(sys.argv[1])
libdir = build / (build / "pybuilddir.txt").read_text().strip()
data = sorted(libdir.glob("_sysconfigdata_*.py"))
ns = {}
exec(data[0].read_text(), ns)
v = ns["build_time_vars"]
print(";".join([v["VERSION"], v["abs_srcdir"], v["LIBRARY"], " ".join([v["LIBS"], v["MODLIBS"], v["SYSLIBS"]]),
                v["HOST_GNU_TYPE"], v["LDFLAGS"]]))
]=] "${SHRINKPY_CPYTHON_BUILD}"
  OUTPUT_VARIABLE _shrinkpy_py OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _shrinkpy_rc ERROR_VARIABLE _shrinkpy_err)
if(NOT _shrinkpy_rc EQUAL 0)
  message(FATAL_ERROR "SHRINKPY_CPYTHON_BUILD=${SHRINKPY_CPYTHON_BUILD} is not a built CPython 3.11 build "
                      "directory (no pybuilddir.txt or _sysconfigdata): ${_shrinkpy_err}")
endif()
list(GET _shrinkpy_py 0 SHRINKPY_PYTHON_VERSION)
list(GET _shrinkpy_py 1 _srcdir)
list(GET _shrinkpy_py 2 _static_name)
list(GET _shrinkpy_py 3 _libs)
list(GET _shrinkpy_py 4 _host)
list(GET _shrinkpy_py 5 _ldflags)  # -L of a cross build's sysroot (zlib), -no-pie
if(NOT SHRINKPY_PYTHON_VERSION STREQUAL "3.11")
  message(FATAL_ERROR "shrinkpy targets CPython 3.11; ${SHRINKPY_CPYTHON_BUILD} is ${SHRINKPY_PYTHON_VERSION}")
endif()
set(_archive "${SHRINKPY_CPYTHON_BUILD}/${_static_name}")
if(NOT EXISTS "${_archive}")
  message(FATAL_ERROR "${_archive} not found: build CPython there first (make libpython3.11.a)")
endif()

add_library(shrinkpy_python_headers INTERFACE)
target_include_directories(shrinkpy_python_headers SYSTEM INTERFACE "${SHRINKPY_CPYTHON_BUILD}" "${_srcdir}/Include")
add_library(shrinkpy::python_headers ALIAS shrinkpy_python_headers)

separate_arguments(_libs UNIX_COMMAND "${_libs}")
list(REMOVE_DUPLICATES _libs)
# Bundled libraries of built-in modules (libmpdec, expat) are named relative to the build directory.
list(TRANSFORM _libs PREPEND "${SHRINKPY_CPYTHON_BUILD}/" REGEX "^[^-/]")
add_library(shrinkpy_libpython_embed INTERFACE)
target_link_libraries(shrinkpy_libpython_embed INTERFACE shrinkpy_python_headers "${_archive}" ${_libs} pthread)
separate_arguments(_ldflags UNIX_COMMAND "${_ldflags}")
target_link_options(shrinkpy_libpython_embed INTERFACE ${_ldflags})
if(SHRINKPY_LIBPYTHON STREQUAL "fully-static")
  target_link_options(shrinkpy_libpython_embed INTERFACE -static)
elseif(SHRINKPY_LIBPYTHON STREQUAL "static")
  target_link_options(shrinkpy_libpython_embed INTERFACE -no-pie -Wl,--export-dynamic)
else()
  message(FATAL_ERROR "with SHRINKPY_CPYTHON_BUILD, SHRINKPY_LIBPYTHON must be fully-static or static, "
                      "not '${SHRINKPY_LIBPYTHON}'")
endif()
# The order in which start-up runs the functions (python/shrinkpy/text_layout.py): lld lays out the
# sections holding them in it, so start-up touches few pages of text (Debian's lld).
# The link before the order is known (the one traced) uses lld as well where it is installed: the same
# linker keeps the same copy of each C++ template instance, under the name the trace records.
set(SHRINKPY_SYMBOL_ORDER "" CACHE FILEPATH "A symbol ordering file for the trimmed interpreter's link")
find_program(SHRINKPY_LLD ld.lld)
if(SHRINKPY_SYMBOL_ORDER AND NOT SHRINKPY_LLD)
  message(FATAL_ERROR "ld.lld not found: apt-get install lld")
endif()
if(SHRINKPY_LLD)
  # Debian's cross gcc 12 looks for ld.lld only among its own programs (no --ld-path yet): -B gives it one.
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/lld")
  file(CREATE_LINK "${SHRINKPY_LLD}" "${CMAKE_BINARY_DIR}/lld/ld.lld" SYMBOLIC)
  target_link_options(shrinkpy_libpython_embed INTERFACE -fuse-ld=lld "-B${CMAKE_BINARY_DIR}/lld/")
endif()
if(SHRINKPY_SYMBOL_ORDER)
  target_link_options(shrinkpy_libpython_embed INTERFACE "-Wl,--symbol-ordering-file,${SHRINKPY_SYMBOL_ORDER}"
                      -Wl,--no-warn-symbol-ordering)
endif()
add_library(shrinkpy::libpython_embed ALIAS shrinkpy_libpython_embed)
message(STATUS "shrinkpy: trimmed CPython ${SHRINKPY_PYTHON_VERSION} for ${_host} from ${SHRINKPY_CPYTHON_BUILD}, "
               "libpython ${SHRINKPY_LIBPYTHON}")
