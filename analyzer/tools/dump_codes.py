"""Write module code objects to a SPCO corpus (format: analyzer/include/shrinkpy/analyzer/serialize.hpp).

    /usr/bin/python3.11 analyzer/tools/dump_codes.py OUT.spco [--stdlib] [FILE.py ...]

--stdlib adds every .py under the interpreter's stdlib directory (site-packages excluded), compiled
as the interpreter compiles them; files that do not compile (test data with syntax errors) are
skipped. Pure Python on purpose: the C++ tests, the benchmark and the fuzzer read corpora without
linking libpython, and this script needs nothing built.
"""

import argparse
import importlib.util
import os
import struct
import sys
import sysconfig
import warnings

KINDS = ["none", "boolean", "integer", "floating", "complex", "bytes", "string", "tuple", "frozenset",
         "ellipsis", "code", "other"]
K = {name: i for i, name in enumerate(KINDS)}
MAGIC = int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little")
CO_FAST_LOCAL, CO_FAST_CELL, CO_FAST_FREE = 0x20, 0x40, 0x80


def localsplus(code):
    """co_localsplusnames and co_localspluskinds, rebuilt as 3.11's compute_localsplus_info does."""
    names = list(code.co_varnames)
    kinds = [CO_FAST_LOCAL] * len(names)
    for cell in code.co_cellvars:
        if cell in code.co_varnames:
            kinds[code.co_varnames.index(cell)] |= CO_FAST_CELL
        else:
            names.append(cell)
            kinds.append(CO_FAST_CELL)
    names += code.co_freevars
    kinds += [CO_FAST_FREE] * len(code.co_freevars)
    return names, bytes(kinds)


class Writer:
    def __init__(self):
        self.parts = []

    def u8(self, v): self.parts.append(struct.pack("<B", v))
    def u16(self, v): self.parts.append(struct.pack("<H", v))
    def u32(self, v): self.parts.append(struct.pack("<I", v & 0xFFFFFFFF))

    def blob(self, b):
        self.u32(len(b))
        self.parts.append(b)

    def text(self, s):
        self.blob(s.encode("utf-8", "surrogatepass"))

    def strings(self, items):
        self.u32(len(items))
        for s in items:
            self.text(s)

    def const(self, c):
        if c is None: self.u8(K["none"]); self.blob(b"")
        elif isinstance(c, bool): self.u8(K["boolean"]); self.text(repr(c))
        elif isinstance(c, int): self.u8(K["integer"]); self.text(repr(c))
        elif isinstance(c, float): self.u8(K["floating"]); self.text(repr(c))
        elif isinstance(c, complex): self.u8(K["complex"]); self.text(repr(c))
        elif isinstance(c, bytes): self.u8(K["bytes"]); self.blob(c)
        elif isinstance(c, str): self.u8(K["string"]); self.text(c)
        elif isinstance(c, (tuple, frozenset)):
            self.u8(K["tuple"] if isinstance(c, tuple) else K["frozenset"])
            self.u32(len(c))
            for item in c:
                self.const(item)
        elif c is Ellipsis: self.u8(K["ellipsis"]); self.text("Ellipsis")
        elif hasattr(c, "co_code"): self.u8(K["code"]); self.code(c)
        else: self.u8(K["other"]); self.text(repr(c))

    def code(self, co):
        names, kinds = localsplus(co)
        self.u16(MAGIC)
        for v in (co.co_argcount, co.co_posonlyargcount, co.co_kwonlyargcount, co.co_stacksize, co.co_flags,
                  co.co_firstlineno):
            self.u32(v)
        self.blob(co.co_code)
        self.blob(co.co_exceptiontable)
        self.blob(co.co_linetable)
        self.strings(co.co_names)
        self.strings(names)
        self.blob(kinds)
        self.text(co.co_filename)
        self.text(co.co_name)
        self.text(co.co_qualname)
        self.u32(len(co.co_consts))
        for c in co.co_consts:
            self.const(c)


def stdlib_files():
    root = sysconfig.get_paths()["stdlib"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "dist-packages", "__pycache__"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def compile_file(path):
    with open(path, "rb") as f:
        source = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, path, "exec", dont_inherit=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--stdlib", action="store_true")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    if MAGIC != 3495:
        sys.exit(f"dump_codes.py needs CPython 3.11 (magic 3495), this is magic {MAGIC}")
    codes = []
    for path in list(args.files) + (list(stdlib_files()) if args.stdlib else []):
        try:
            codes.append(compile_file(path))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            if path in args.files:
                raise
    w = Writer()
    w.parts.append(b"SPCO")
    w.u8(1)
    w.u32(len(codes))
    for co in codes:
        w.code(co)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"".join(w.parts))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
