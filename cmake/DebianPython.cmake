# Finds Debian's CPython 3.11 (SHRINKPY_PYTHON, normally /usr/bin/python3.11) and defines:
#   shrinkpy::python_headers   include directories only (for code that never links libpython itself)
#   shrinkpy::libpython_embed  what an embedding executable links, static or shared (SHRINKPY_LIBPYTHON)
#   SHRINKPY_PYTHON_VERSION, SHRINKPY_PYTHON_EXT_SUFFIX, SHRINKPY_PYTHON_PURELIB, SHRINKPY_PYTHON_BINARY
# Everything comes from the interpreter's own sysconfig, so a pyenv python3.11 on PATH cannot leak in.

if(NOT EXISTS "${SHRINKPY_PYTHON}")
  message(FATAL_ERROR "shrinkpy needs Debian's CPython 3.11 at ${SHRINKPY_PYTHON}: "
                      "apt-get install python3.11 libpython3.11-dev")
endif()

execute_process(
  COMMAND "${SHRINKPY_PYTHON}" -I -c [=[
import os, sys, sysconfig
v = sysconfig.get_config_var
print(";".join([
    "%d.%d" % sys.version_info[:2], v("INCLUDEPY"), v("LIBPL"), v("LIBRARY"), v("LIBDIR"), v("LDLIBRARY"),
    " ".join([v("LIBS") or "", v("SYSLIBS") or "", v("MODLIBS") or ""]), v("EXT_SUFFIX"),
    os.readlink("/proc/self/exe"),
]))
]=]
  OUTPUT_VARIABLE _shrinkpy_py OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _shrinkpy_rc)
if(NOT _shrinkpy_rc EQUAL 0)
  message(FATAL_ERROR "${SHRINKPY_PYTHON} does not run")
endif()
list(GET _shrinkpy_py 0 SHRINKPY_PYTHON_VERSION)
list(GET _shrinkpy_py 1 _include)
list(GET _shrinkpy_py 2 _libpl)
list(GET _shrinkpy_py 3 _static_name)
list(GET _shrinkpy_py 4 _libdir)
list(GET _shrinkpy_py 5 _shared_name)
list(GET _shrinkpy_py 6 _syslibs)
list(GET _shrinkpy_py 7 SHRINKPY_PYTHON_EXT_SUFFIX)
# The executable itself, whatever ran it (a venv's link, or shrinkpython, which runs python3.11): the
# interpreter shrinkpython's launcher runs (runtime/launcher.cpp).
list(GET _shrinkpy_py 8 SHRINKPY_PYTHON_BINARY)

if(NOT SHRINKPY_PYTHON_VERSION STREQUAL "3.11")
  message(FATAL_ERROR "shrinkpy targets CPython 3.11; ${SHRINKPY_PYTHON} is ${SHRINKPY_PYTHON_VERSION}")
endif()
if(NOT EXISTS "${_include}/Python.h")
  message(FATAL_ERROR "Python.h not found in ${_include}: apt-get install libpython3.11-dev")
endif()

add_library(shrinkpy_python_headers INTERFACE)
target_include_directories(shrinkpy_python_headers SYSTEM INTERFACE "${_include}")
add_library(shrinkpy::python_headers ALIAS shrinkpy_python_headers)

add_library(shrinkpy_libpython_embed INTERFACE)
target_link_libraries(shrinkpy_libpython_embed INTERFACE shrinkpy_python_headers)
if(SHRINKPY_LIBPYTHON STREQUAL "static")
  # Debian's /usr/bin/python3.11 is this archive (not position-independent) linked into a non-PIE
  # executable with LINKFORSHARED (-export-dynamic), so that extension modules find the C API in the
  # executable. Not PIE also saves the ~0.75 MB of relocations a PIE start-up touches
  # (research/trimmed-build.md 1.1).
  set(_archive "${_libpl}/${_static_name}")
  if(NOT EXISTS "${_archive}")
    message(FATAL_ERROR "${_archive} not found: apt-get install libpython3.11-dev")
  endif()
  separate_arguments(_syslibs UNIX_COMMAND "${_syslibs}")
  list(REMOVE_DUPLICATES _syslibs)
  target_link_libraries(shrinkpy_libpython_embed INTERFACE "${_archive}" ${_syslibs} pthread)
  target_link_options(shrinkpy_libpython_embed INTERFACE -no-pie -Wl,--export-dynamic)
elseif(SHRINKPY_LIBPYTHON STREQUAL "shared")
  target_link_libraries(shrinkpy_libpython_embed INTERFACE "${_libdir}/${_shared_name}" dl m pthread)
else()
  message(FATAL_ERROR "SHRINKPY_LIBPYTHON must be static or shared, not '${SHRINKPY_LIBPYTHON}'")
endif()
add_library(shrinkpy::libpython_embed ALIAS shrinkpy_libpython_embed)
message(STATUS "shrinkpy: CPython ${SHRINKPY_PYTHON_VERSION} from ${SHRINKPY_PYTHON}, libpython ${SHRINKPY_LIBPYTHON}")
