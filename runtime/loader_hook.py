"""shrinkpython's loader hook: code passes through the early-freeing rewriter as it loads.

This file is compiled into shrinkpython (runtime/CMakeLists.txt embeds it) and runs once at start-up,
before the program, when SHRINKPY_EARLY_FREE is not "off". It is written against the standard library
only and takes everything it needs from `install()`'s arguments, so it can be tested under a plain
python3.11 with any rewrite function.

- Modules: SourceLoader.get_code is wrapped, so every module loaded from source or from its .pyc
  passes through `rewrite`, if it is in scope: "main" (only __main__), "user" (everything outside the
  standard library and site-packages) or "all".
- __main__: a script and -c are compiled by CPython's C code, not by a loader; the launcher hands
  their module code to `rewrite_main()` just before it runs (runtime/main_code_swap.cpp). `-m mod`
  goes through runpy, which asks the loader: that one call is treated as __main__.
- Rewritten code is cached next to the bytecode cache (or under sys.pycache_prefix, or the user's
  cache directory when that is not writable), keyed by the source hash and the rewriter's version.
- Nothing is rewritten while a tracer or profiler is set (a debugger or coverage reads locals), and
  once one is set, functions get their original code back.
- A module the rewriter cannot handle runs unmodified; the reason goes to the report.
"""

import _imp
import marshal
import os
import sys
import sysconfig
import types
from importlib import _bootstrap_external

_PRAGMA = b"shrinkpy: keep"
_CACHE_MARK = b"SHRK"

_state = None


class _State:
    def __init__(self, rewrite, record, scope, mode, version, main_module):
        self.rewrite = rewrite  # (code, module_level, keep_lines) -> (code, releases, skips)
        self.record = record  # (module, releases, skips) -> None: the launcher's report
        self.scope = scope
        self.mode = mode
        self.version = version
        self.main_module = main_module  # the module name of -m, or None
        self.original_get_code = _bootstrap_external.SourceLoader.get_code
        self.originals = {}  # rewritten code -> original code, for restoring under a tracer
        self.disabled = False
        self.excluded = tuple(_excluded_prefixes()) if scope == "user" else ()


def _excluded_prefixes():
    """The standard library and site-packages: outside "user" scope."""
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        yield os.path.join(os.path.realpath(paths[key]), "")
    try:
        import site
        for p in site.getsitepackages() + [site.getusersitepackages()]:
            yield os.path.join(os.path.realpath(p), "")
    except Exception:  # site may be disabled (-S): the sysconfig paths above still apply
        pass


def _observed():
    """A tracer or profiler is set: it reads the locals the rewriter would release."""
    return sys.gettrace() is not None or sys.getprofile() is not None


def _keep_lines(source):
    if _PRAGMA not in source:
        return ()
    return tuple(n for n, line in enumerate(source.splitlines(), 1) if _PRAGMA in line)


def _in_scope(path):
    if _state.scope == "all":
        return True
    if _state.scope == "main" or path.startswith(_state.excluded):
        return False
    return not os.path.realpath(path).startswith(_state.excluded)  # realpath only when needed: it costs syscalls


def _cache_path(path, module_level):
    try:
        pyc = _bootstrap_external.cache_from_source(path)
    except (NotImplementedError, ValueError):
        return None
    suffix = f".shrinkpy-{_state.version}-{_state.mode}{'-main' if module_level else ''}.pyc"
    return pyc[: -len(".pyc")] + suffix


def _fallback_cache_path(path, module_level):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    real = os.path.realpath(path)
    return os.path.join(base, "shrinkpy", "rewrite", real.lstrip(os.sep) + f".{_state.version}-{_state.mode}"
                        + ("-main" if module_level else "") + ".pyc")


def _cache_read(candidates, source_hash):
    for candidate in candidates:
        try:
            with open(candidate, "rb") as f:
                data = f.read()
        except OSError:
            continue
        head = _bootstrap_external.MAGIC_NUMBER + _CACHE_MARK + source_hash
        if data.startswith(head):
            try:
                return marshal.loads(memoryview(data)[len(head):])
            except (EOFError, ValueError, TypeError):
                continue
    return None


def _cache_write(candidates, source_hash, payload):
    data = _bootstrap_external.MAGIC_NUMBER + _CACHE_MARK + source_hash + marshal.dumps(payload)
    for candidate in candidates:
        try:
            os.makedirs(os.path.dirname(candidate), exist_ok=True)
            tmp = f"{candidate}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, candidate)
            return
        except OSError:
            continue


def _rewrite(name, code, source, module_level):
    """Runs the rewriter; a failure leaves the code as it was and is reported, never raised."""
    try:
        new_code, releases, skips = _state.rewrite(code, module_level, _keep_lines(source))
    except Exception as e:  # the user's program must never be broken by an optimisation
        new_code, releases, skips = code, (), ((getattr(code, "co_qualname", "?"), code.co_firstlineno,
                                                 f"rewriter error: {e}"),)
    if new_code is not code:
        _state.originals[new_code] = code
    return new_code, tuple(releases), tuple(skips)


def _get_code(loader, fullname):
    original = _state.original_get_code
    if _state.disabled or _observed():
        return original(loader, fullname)
    path = loader.get_filename(fullname)
    module_level = fullname == _state.main_module and sys._getframe(1).f_globals.get("__name__") == "runpy"
    if not module_level and not _in_scope(path):
        return original(loader, fullname)
    try:
        source = loader.get_data(path)
    except OSError:
        return original(loader, fullname)
    source_hash = _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, source)
    candidates = [c for c in (_cache_path(path, module_level), _fallback_cache_path(path, module_level)) if c]
    cached = None if sys.dont_write_bytecode else _cache_read(candidates, source_hash)
    if cached is not None:
        code, releases, skips = cached
    else:
        code, releases, skips = _rewrite(fullname, original(loader, fullname), source, module_level)
        if not sys.dont_write_bytecode:
            _cache_write(candidates, source_hash, (code, releases, skips))
    _state.record("__main__" if module_level else fullname, releases, skips)
    return code


def rewrite_main(code, filename):
    """The launcher's entry for a script's or -c's module code, just before it runs."""
    if _state is None or _state.disabled or _observed():
        return code
    source = b""
    if filename and not filename.startswith("<"):
        try:
            with open(filename, "rb") as f:
                source = f.read()
        except OSError:
            pass
    code, releases, skips = _rewrite("__main__", code, source, True)
    _state.record("__main__", releases, skips)
    return code


def restore_originals():
    """Called by the launcher's audit hook when a tracer or profiler is set while the program runs:
    from then on nothing is rewritten, and existing functions get their original code back (frames
    already running keep theirs)."""
    if _state is None or _state.disabled:
        return
    _state.disabled = True
    import gc
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType:
            original = _state.originals.get(obj.__code__)
            if original is not None:
                obj.__code__ = original
    _state.record("<tracer>", (), (("*", 0, "a tracer or profiler was set: functions got their original code back"),))


def original_code(code):
    """The code `code` was rewritten from, or `code` itself (shrinkpy.no_early_free uses this)."""
    return _state.originals.get(code, code) if _state is not None else code


def install(rewrite, record, scope, mode, version, main_module=None):
    global _state
    _state = _State(rewrite, record, scope, mode, version, main_module)

    def get_code(self, fullname):
        return _get_code(self, fullname)

    get_code.__doc__ = _state.original_get_code.__doc__
    _bootstrap_external.SourceLoader.get_code = get_code
