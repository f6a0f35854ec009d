"""shrinkpython's loader hook: code passes through the import pass and the early-freeing rewriter as
it loads.

This file is compiled into shrinkpython (runtime/CMakeLists.txt embeds it as the module
_shrinkpy_loader) and runs once at start-up, before the program, when SHRINKPY_EARLY_FREE or
SHRINKPY_IMPORTS is not "off". It imports only modules the interpreter has already loaded at that point (built-in or frozen; os
only once a module is rewritten, as python3.11 -S does not load it)
and takes everything it needs from `install()`'s arguments: the rewriter is _shrinkpy.rewrite (the
C++ rewriter linked into shrinkpython), and under a plain python3.11 any stand-in (the tests).

Its code carries the file name "<frozen importlib._bootstrap_external>": its get_code() frame sits in
the middle of the import system, and CPython trims import tracebacks by that name
(remove_importlib_frames in Python/import.c), so a SyntaxError in an imported module shows the same
traceback as under python3.11.

- Modules: SourceLoader.get_code is wrapped, so every module loaded from source or from its .pyc
  passes through `rewrite`, if it is in scope: "main" (only __main__), "user" (everything outside the
  standard library and site-packages) or "all".
- __main__: a script and -c are compiled by CPython's C code, not by a loader; the launcher hands
  their module code to `rewrite_main()` just before it runs (runtime/main_code_swap.cpp). `-m mod`
  goes through runpy, which asks the loader: that one call is treated as __main__. The module level
  of __main__ is rewritten too (its names can be released), unless -i keeps them for the prompt.
- Rewritten code is cached next to the bytecode cache (or under sys.pycache_prefix, or the user's
  cache directory when that is not writable; always there for the standard library and
  site-packages), keyed by the source hash, the rewriter's version and the policy.
- Nothing is rewritten while a tracer or profiler is set (a debugger or coverage reads locals), and
  once one is set, functions get their original code back.
- A module the rewriter cannot handle runs unmodified; the reason goes to the report.
- The import pass (`imports`, runtime/import_pass.py; SHRINKPY_IMPORTS) runs first, on every load of
  __main__ and of user modules (never the standard library or site-packages, even in scope "all"):
  its verdicts depend on other modules (whether they exist, what importing them does), so they are
  never cached; the early-freeing result of code it changed is cached under its decisions too.
  It leaves __main__ alone under -i (the prompt would see the proxies).
"""

import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import sys

_PRAGMA = b"shrinkpy: keep"
_CACHE_MARK = b"SHRK"
_IMPORTS_MARK = b"SHRI"

_state = None


class _State:
    def __init__(self, rewrite, record, scope, mode, version, main_module, cache, imports):
        self.rewrite = rewrite  # (code, module_level, keep_lines) -> (code, releases, skips); None: no early freeing
        self.record = record  # (module, releases, skips) -> None: the launcher's report
        # .rewrite(code, source, is_main, package) -> (code, decisions), .record(module, decisions); or None
        self.imports = imports
        # releases: ((qualname, line, name, kind, reason, maybe_unbound), ...)
        # skips: ((qualname, line, rule, reason), ...); rules as in `shrinkpy analyze --rules`
        self.scope = scope
        self.mode = mode
        self.version = version
        self.main_module = main_module  # the module name of -m, or None
        self.cache = cache  # False when rewritten code holds what marshal cannot write (counted releases)
        self.original_get_code = _bootstrap_external.SourceLoader.get_code
        # Rewritten module code and how to get its original again (compiling it anew when needed:
        # keeping every original code object alive would cost memory on every run).
        self.rewritten = []
        # id(rewritten code) -> (rewritten code, original code), filled from `rewritten` on demand
        self.originals = {}
        self.disabled = False
        self.hook_get_code = None  # what install() put in SourceLoader.get_code
        self.library = tuple(_library_prefixes())
        self.excluded = self.library if scope == "user" else ()
        self.real_excluded = None  # the same, through realpath(): computed when first needed


_os_module = None


def _os():
    """The os module, imported when first needed (not at start-up) and kept: a program that runs os's
    source again (imp.load_module("os", ...): CPython's test_imp) leaves a half-built os in
    sys.modules meanwhile, and this hook loads that very module."""
    global _os_module
    if _os_module is None:
        import os
        _os_module = os
    return _os_module


def _library_prefixes():
    """The standard library and site-packages: outside "user" scope. Taken from what the
    interpreter knows at start-up (no sysconfig import: it would cost every run)."""
    stdlib = sys._stdlib_dir
    paths = [stdlib, stdlib + "/lib-dynload"]
    paths += [p for p in sys.path if p.rstrip("/").rpartition("/")[2] in ("site-packages", "dist-packages")]
    site = sys.modules.get("site")
    if site is not None:
        try:
            paths += site.getsitepackages() + [site.getusersitepackages()]
        except Exception:  # a site module without these (virtualenv's old one)
            pass
    seen = set()
    for p in paths:
        q = p.rstrip("/") + "/"
        if q not in seen:
            seen.add(q)
            yield q


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
    # Symbolic links (a venv's lib/, /usr/local): compare real paths, only now (it costs syscalls).
    realpath = _os().path.realpath
    if _state.real_excluded is None:
        _state.real_excluded = tuple(realpath(p).rstrip("/") + "/" for p in _state.excluded)
    return not realpath(path).startswith(_state.real_excluded)


def _cache_path(path, tag):
    if path.startswith(_state.library):
        return None  # never write into the system's directories: the user cache below
    try:
        pyc = _bootstrap_external.cache_from_source(path)
    except (NotImplementedError, ValueError):
        return None
    suffix = f".shrinkpy-{_state.version}-{_state.mode}{tag}.pyc"
    return pyc[: -len(".pyc")] + suffix


def _fallback_cache_path(path, tag):
    os = _os()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    real = os.path.realpath(path)
    return os.path.join(base, "shrinkpy", "rewrite", real.lstrip(os.sep) + f".{_state.version}-{_state.mode}{tag}.pyc")


def _candidates(path, module_level, imports_changed=False):
    # Code the import pass changed has files of its own: runs with SHRINKPY_IMPORTS=off and on
    # keep both entries instead of replacing each other's.
    tag = ("-main" if module_level else "") + ("-imports" if imports_changed else "")
    primary = _cache_path(path, tag)
    if primary:
        yield primary
    yield _fallback_cache_path(path, tag)  # only computed when the first one misses


class _LazyList:
    """A list filled from a generator as far as it is read (read, then maybe written, twice)."""

    def __init__(self, items):
        self._items, self._seen = items, []

    def __iter__(self):
        yield from self._seen
        for item in self._items:
            self._seen.append(item)
            yield item


def _cache_read(candidates, key):
    for candidate in candidates:
        try:
            with open(candidate, "rb") as f:
                data = f.read()
        except OSError:
            continue
        head = _bootstrap_external.MAGIC_NUMBER + key
        if data.startswith(head):
            try:
                payload = marshal.loads(memoryview(data)[len(head):])
            except (EOFError, ValueError, TypeError):
                continue
            # Anything but what _cache_write() writes (another writer's format, a torn file): a miss.
            if (type(payload) is tuple and len(payload) == 3 and type(payload[0]) is type(_cache_read.__code__)
                    and type(payload[1]) is tuple and type(payload[2]) is tuple):
                return payload
    return None


def _cache_write(candidates, key, payload):
    os = _os()
    data = _bootstrap_external.MAGIC_NUMBER + key + marshal.dumps(payload)
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


def _originals():
    """id(rewritten code) -> (rewritten code, original code), for every code object of every
    rewritten module. Keyed by identity: code objects compare equal by value, whatever their file
    (Objects/codeobject.c, code_richcompare), so a function unchanged by the rewriter would otherwise
    share its key with every function of the same code elsewhere: importlib._bootstrap loaded from
    source and the frozen one the import system runs (CPython's test_import: the frozen functions got
    code from the source file, and import tracebacks showed their frames)."""
    code_type = type(_originals.__code__)

    def pair(new, old):
        if (new is old or type(new) is not code_type or type(old) is not code_type
                or new.co_qualname != old.co_qualname):
            return
        _state.originals[id(new)] = (new, old)
        for a, b in zip(new.co_consts, old.co_consts):
            pair(a, b)

    while _state.rewritten:
        new, get_original = _state.rewritten.pop()
        try:
            pair(new, get_original())
        except Exception:  # the source changed or vanished: that module's functions stay rewritten
            pass
    return _state.originals


def _original_of(code, originals):
    entry = originals.get(id(code))
    return entry[1] if entry is not None and entry[0] is code else None


def _import_pass(name, code, source, is_main, package):
    """(code, key): the import pass's result and what makes it differ from the code as compiled
    (b"" when it does not). A failure leaves the code as it was and is reported, never raised."""
    try:
        new_code, decisions = _state.imports.rewrite(code, source, is_main, package)
    except Exception as e:  # the user's program must never be broken by an optimisation
        new_code, decisions = code, [{"action": "keep", "verdict_reason": f"import pass error: {e}"}]
    _state.imports.record(name, decisions)
    if new_code is code:
        return code, b""
    changed = tuple((d["offset"], d["action"], tuple(d["also_import"])) for d in decisions if d["action"] != "keep")
    return new_code, _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, marshal.dumps(changed))


def _package(loader, fullname):
    try:
        return fullname if loader.is_package(fullname) else fullname.rpartition(".")[0]
    except ImportError:
        return fullname.rpartition(".")[0]


def _rewrite(name, code, source, module_level):
    """Runs the rewriter; a failure leaves the code as it was and is reported, never raised."""
    try:
        new_code, releases, skips = _state.rewrite(code, module_level, _keep_lines(source))
    except Exception as e:  # the user's program must never be broken by an optimisation
        new_code, releases, skips = code, (), ((getattr(code, "co_qualname", "?"), code.co_firstlineno, "error",
                                                 f"rewriter error: {e}"),)
    return new_code, tuple(releases), tuple(skips)


def _cached_rewrite(name, path, source, original, module_level, imports_key=b""):
    """The rewritten code of the file at `path` from the cache, or `original()` rewritten now (and
    cached unless bytecode writing is off): (code, releases, skips). `original()` is what the import
    pass left; `imports_key` names its decisions when it changed the code (_import_pass)."""
    # The mark fixes the key's length (_cache_read compares a prefix): the source hash for code as
    # compiled, the source hash and the import pass's decisions for code the import pass changed.
    if not _state.cache:
        return _rewrite(name, original(), source, module_level)
    source_hash = _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, source)
    key = _IMPORTS_MARK + source_hash + imports_key if imports_key else _CACHE_MARK + source_hash
    candidates = _LazyList(_candidates(path, module_level, bool(imports_key)))
    cached = _cache_read(candidates, key)
    if cached is not None:
        return cached
    result = _rewrite(name, original(), source, module_level)
    if not sys.dont_write_bytecode:
        _cache_write(candidates, key, result)
    return result


def _get_code(loader, fullname):
    original = _state.original_get_code
    if _state.disabled or _observed():
        return original(loader, fullname)
    # runpy's _get_module_details asks for __main__'s code (frame 2: runpy -> get_code -> here).
    main = _state.main_module
    module_level = (main is not None and fullname in (main, main + ".__main__")
                    and sys._getframe(2).f_globals.get("__name__") == "runpy")
    try:
        return _hooked_code(loader, fullname, original, module_level)
    except Exception as e:  # the hook's own failure must not fail the import: the module loads as is
        failure = f"loader hook error: {e!r}"
    # Outside the handler, so that an error of the module itself (a SyntaxError, which the hook's call
    # of `original` raised first) raises again as under python3.11, without the first as its context.
    code = original(loader, fullname)
    if _state.rewrite is not None:  # the report's early-freeing part (the import pass has its own)
        _state.record(fullname, (), (("<module>", 0, "error", failure),))
    return code


def _hooked_code(loader, fullname, original, module_level):
    path = loader.get_filename(fullname)
    if not module_level and not _in_scope(path):
        return original(loader, fullname)
    try:
        source = loader.get_data(path)
    except OSError:
        return original(loader, fullname)
    name = "__main__" if module_level else fullname
    # The import pass is for __main__ and user modules only, whatever the scope: deferring the
    # standard library's own imports changes what is in sys.modules when, which its code reads
    # (inspect.getmodule, doctest's globals: CPython's test_heapq).
    if _state.imports is not None and (module_level or not path.startswith(_state.library)):
        compiled, imports_key = _import_pass(name, original(loader, fullname), source, module_level,
                                             _package(loader, fullname))
        get_code = lambda: compiled  # noqa: E731
    else:
        imports_key, get_code = b"", lambda: original(loader, fullname)
    if _state.rewrite is None:
        return get_code()
    code, releases, skips = _cached_rewrite(fullname, path, source, get_code, module_level, imports_key)
    if releases:
        _state.rewritten.append((code, lambda: original(loader, fullname)))
    _state.record(name, releases, skips)
    return code


def rewrite_main(code, filename, source=None, module_level=True):
    """The launcher's entry for a script's or -c's module code, just before it runs. `source` is the
    text of -c; a script's is read from `filename` (only to find pragma lines)."""
    if _state is None or _state.disabled or _observed():
        return code
    path = None
    if source is not None:
        source = source.encode("utf-8", "surrogateescape")
    elif filename and not filename.startswith("<"):
        try:
            with open(filename, "rb") as f:
                source = f.read()
            path = filename
        except OSError:
            pass
    imports_key = b""
    if _state.imports is not None and module_level:
        code, imports_key = _import_pass("__main__", code, source or b"", True, None)
    if _state.rewrite is None:
        return code
    # A script's rewritten code is cached like a module's: a second run needs no analysis at all.
    if path is not None:
        new_code, releases, skips = _cached_rewrite("__main__", path, source, lambda: code, module_level,
                                                    imports_key)
    else:
        new_code, releases, skips = _rewrite("__main__", code, source or b"", module_level)
    if releases:
        _state.rewritten.append((new_code, lambda: code))  # __main__'s original: one code tree, kept
    _state.record("__main__", releases, skips)
    return new_code


def restore_originals():
    """Called by the launcher when a tracer or profiler is first set while the program runs
    (runtime/early_free.cpp): from then on nothing is rewritten, and existing functions get their
    original code back (frames already running keep theirs)."""
    if _state is None or _state.disabled:
        return
    _state.disabled = True
    # Out of the import system too, if nothing wrapped get_code since: a debugger stepping into an import
    # sees the frames python3.11 shows, which its skip patterns know (bdb's "importlib*": CPython's
    # test_bdb, test_skip).
    if _bootstrap_external.SourceLoader.get_code is _state.hook_get_code:
        _bootstrap_external.SourceLoader.get_code = _state.original_get_code
    import gc
    function = type(install)
    originals = _originals()
    for obj in gc.get_objects():
        if type(obj) is function:
            original = _original_of(obj.__code__, originals)
            if original is not None:
                obj.__code__ = original
    _state.record("<tracer>", (), (("*", 0, "tracer", "a tracer or profiler was set: functions got their "
                                    "original code back"),))


def original_code(code):
    """The code `code` was rewritten from, or `code` itself (shrinkpy.no_early_free uses this)."""
    original = _original_of(code, _originals()) if _state is not None else None
    return original if original is not None else code


def install(rewrite, record, scope, mode, version, main_module=None, cache=True, imports=None):
    global _state
    _state = _State(rewrite, record, scope, mode, version, main_module, cache, imports)
    if imports is not None:
        # The import probe reads user modules' code for effects; the rest is the table's business.
        imports.is_user_path = lambda path: not path.startswith(_state.library)

    def get_code(self, fullname):
        return _get_code(self, fullname)

    get_code.__doc__ = _state.original_get_code.__doc__
    _state.hook_get_code = get_code
    _bootstrap_external.SourceLoader.get_code = get_code
