"""Deferred imports: a module-level import whose names are read only inside functions binds a small
proxy instead of the module; the first attribute access, call or isinstance check imports for real
and puts the real object into the module's globals, so later reads cost nothing.

Compiled into shrinkpython with the loader hook (runtime/CMakeLists.txt embeds it). The import pass
(analyzer/include/shrinkpy/analyzer/import_rewrite.hpp) replaces `import a.b`, `import a.b as c` and
`from a import b` at module level by

    name = __shrinkpy_defer__(*("a.b", "b" or None, level, "name", as_module, "file.py:12", also))

where `__shrinkpy_defer__` is `defer` below, installed in builtins by `install()`; it finds the
module's globals in its caller's frame. The pass only defers a name whose every read is an
attribute access, a call or the class of an isinstance/issubclass check (it checks the bytecode):
a proxy is never compared by identity, passed along or caught in an `except` clause.
"""

import builtins
import sys

_deferred = []  # [where, module, attribute, loaded, token] of every proxy made, for the report (not the proxies:
                # a resolved proxy holds its object, which must be free to die with its last binding)
_get = object.__getattribute__
_UNSET = object()


class DeferredImport:
    """Stands for one import binding until first use. Every attribute, the dunders included
    (`__class__`, `__doc__`, `__name__`), comes from the imported object."""

    __slots__ = ("_spec", "_scope", "_value", "_earlier", "_record")

    def __init__(self, spec, scope, earlier, record):
        object.__setattr__(self, "_spec", spec)  # (module, attribute, level, bound, as_module, where, also)
        object.__setattr__(self, "_scope", scope)  # the globals of the module the import is in
        object.__setattr__(self, "_value", _UNSET)
        # `import a.b` then `import a.c`: the second binding of `a` must load a.b too.
        object.__setattr__(self, "_earlier", earlier)
        object.__setattr__(self, "_record", record)

    def __getattribute__(self, name):
        return getattr(_resolve(self), name)

    def __setattr__(self, name, value):
        setattr(_resolve(self), name, value)

    def __delattr__(self, name):
        delattr(_resolve(self), name)

    def __call__(self, *args, **kwargs):
        return _resolve(self)(*args, **kwargs)

    def __instancecheck__(self, instance):
        return isinstance(instance, _resolve(self))

    def __subclasscheck__(self, cls):
        return issubclass(cls, _resolve(self))

    def __repr__(self):
        module, attribute, _, _, _, where, _ = _get(self, "_spec")
        state = "loaded" if _get(self, "_value") is not _UNSET else "not loaded yet"
        what = f"{attribute} from {module}" if attribute else module
        return f"<deferred import of {what!r} ({state}), written at {where}>"


def _import(spec, scope):
    module, attribute, level, _, as_module, _, _ = spec
    if attribute is not None:
        package = builtins.__import__(module, scope, None, (attribute,), level)
        try:
            return getattr(package, attribute)
        except AttributeError:  # IMPORT_FROM's fallback: a submodule not yet an attribute
            value = sys.modules.get(f"{package.__name__}.{attribute}")
            if value is None:  # worded as IMPORT_FROM words it (import_from in Python/ceval.c)
                where = getattr(package, "__file__", None) or "unknown location"
                raise ImportError(f"cannot import name {attribute!r} from {package.__name__!r} ({where})",
                                  name=package.__name__, path=getattr(package, "__file__", None)) from None
            return value
    value = builtins.__import__(module, scope, None, None, level)
    if as_module:
        for part in module.split(".")[1:]:
            value = getattr(value, part)
    return value


def _resolve(proxy):
    value = _get(proxy, "_value")
    if value is not _UNSET:
        return value
    spec, scope = _get(proxy, "_spec"), _get(proxy, "_scope")
    where = spec[5]
    try:
        earlier = _get(proxy, "_earlier")
        if earlier is not None:
            _resolve(earlier)
        value = _import(spec, scope)
        for submodule in spec[6]:  # read through this name without an import of their own
            builtins.__import__(submodule, scope, None, None, 0)
    except ImportError as e:
        raised = type(e)(f"{e} (deferred import written at {where}; shrinkpy deferred it because its names are "
                         f"read only inside functions: SHRINKPY_IMPORTS=off imports eagerly)",
                         name=e.name, path=e.path)
        # Chained only when the error comes from the imported module's own code: its traceback says where.
        raise raised from (e if _beyond_this_file(e.__traceback__) else None)
    except BaseException as e:
        e.add_note(f"raised while importing {spec[0]!r}, deferred by shrinkpy from {where} (SHRINKPY_IMPORTS=off "
                   f"imports eagerly)")
        raise
    object.__setattr__(proxy, "_value", value)
    record = _get(proxy, "_record")
    record[3] = True
    if _on_load is not None:
        _on_load(record[4])
    if scope.get(spec[3]) is proxy:  # unless the program rebound the name meanwhile
        scope[spec[3]] = value
    return value


def _beyond_this_file(traceback):
    here = _resolve.__code__.co_filename
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename not in (here, "<frozen importlib._bootstrap>"):
            return True
        traceback = traceback.tb_next
    return False


def defer(module, attribute, level, bound, as_module, where, also=()):
    """`also`: submodules the module reads through this name without importing them
    (`import urllib`, then urllib.parse.quote): imported with it."""
    scope = sys._getframe(1).f_globals
    earlier = scope.get(bound)
    chained = (type(earlier) is DeferredImport and attribute is None and not as_module
               and _get(earlier, "_spec")[1] is None and not _get(earlier, "_spec")[4])
    record = [where, module, attribute, False, None]
    if _on_defer is not None:
        record[4] = _on_defer(where, module, attribute)
    _deferred.append(record)
    return DeferredImport((module, attribute, level, bound, as_module, where, also), scope,
                          earlier if chained else None, record)


def report():
    """(where, module, attribute, loaded) for every deferred import made so far."""
    return [tuple(record[:4]) for record in _deferred]


_on_defer = _on_load = None


def install(on_defer=None, on_load=None):
    """Puts `defer` in builtins. The launcher's report passes on_defer(where, module, attribute) ->
    token, called as each proxy is made, and on_load(token), called when it imports."""
    global _on_defer, _on_load
    _on_defer, _on_load = on_defer, on_load
    builtins.__shrinkpy_defer__ = defer
