# Toolchain for the trimmed interpreter's aarch64 build (`shrinkpy build --board rpi*`): Debian's
# gcc-aarch64-linux-gnu and g++-aarch64-linux-gnu. Libraries the C modules need (zlib, libffi) come
# from the private arm64 sysroot, through the CPython build's own link line (TrimmedPython.cmake).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Headers-only dependencies (mimalloc.h) are architecture-independent: search the host for them.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
