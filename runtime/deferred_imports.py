"""Deferred imports: a module-level import whose names are read only inside functions binds a small
proxy instead of the module; the first attribute access, call or isinstance check imports for real
and puts the real object into the module's globals, so later reads cost nothing.

Compiled into shrinkpython with the loader hook (runtime/CMakeLists.txt embeds it); the rewriter
replaces `import a.b`, `import a.b as c` and `from a import b` by

    name = __shrinkpy_defer__(__name__, "a.b", "b" or None, level, "name", as_module, "file.py:12")

where `__shrinkpy_defer__` is `defer` below, installed in builtins by `install()`. Only imports whose
bound names are used as the base of an attribute access or as a callee are deferred (the analyzer
checks): a proxy is never compared by identity or caught in an `except` clause.
"""

import builtins
import sys

_deferred = []  # every proxy made, for the report: (where, module, loaded)


class DeferredImport:
    __slots__ = ("_owner", "_module", "_attribute", "_level", "_bound", "_as_module", "_where", "_value")

    def __init__(self, owner, module, attribute, level, bound, as_module, where):
        self._owner = owner  # __name__ of the module the import statement is in
        self._module = module
        self._attribute = attribute  # from-import: the imported name; else None
        self._level = level
        self._bound = bound
        self._as_module = as_module  # `import a.b as c`: bind a.b itself, not the top package a
        self._where = where
        self._value = _UNSET

    def _resolve(self):
        if self._value is not _UNSET:
            return self._value
        owner = sys.modules.get(self._owner)
        scope = owner.__dict__ if owner is not None else {}
        try:
            if self._attribute is not None:
                module = builtins.__import__(self._module, scope, None, (self._attribute,), self._level)
                try:
                    value = getattr(module, self._attribute)
                except AttributeError:  # IMPORT_FROM's fallback: a submodule not yet an attribute
                    value = sys.modules.get(f"{module.__name__}.{self._attribute}")
                    if value is None:
                        raise ImportError(f"cannot import name {self._attribute!r} from {module.__name__!r}",
                                          name=module.__name__) from None
            else:
                value = builtins.__import__(self._module, scope, None, None, self._level)
                if self._as_module:
                    for part in self._module.split(".")[1:]:
                        value = getattr(value, part)
        except ImportError as e:
            raised = type(e)(f"{e} (deferred import written at {self._where}; shrinkpy deferred it because its "
                             f"names are read only inside functions: SHRINKPY_IMPORTS=off imports eagerly)",
                             name=e.name, path=e.path)
            raise raised from e
        self._value = value
        if scope.get(self._bound) is self:  # unless the program rebound the name meanwhile
            scope[self._bound] = value
        return value

    def __getattr__(self, name):
        return getattr(self._resolve(), name)

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __instancecheck__(self, instance):
        return isinstance(instance, self._resolve())

    def __subclasscheck__(self, cls):
        return issubclass(cls, self._resolve())

    def __repr__(self):
        state = "loaded" if self._value is not _UNSET else "not loaded yet"
        return f"<deferred import of {self._module!r} ({state}), written at {self._where}>"


_UNSET = object()


def defer(owner, module, attribute, level, bound, as_module, where):
    proxy = DeferredImport(owner, module, attribute, level, bound, as_module, where)
    _deferred.append(proxy)
    return proxy


def report():
    """(where, module, attribute, loaded) for every deferred import made so far."""
    return [(p._where, p._module, p._attribute, p._value is not _UNSET) for p in _deferred]


def install():
    builtins.__shrinkpy_defer__ = defer
