"""shrinkpy: make unmodified CPython 3.11 programs fit on small boards.

The command line is `shrinkpy` (shrinkpy.cli); the drop-in interpreter is `shrinkpython`.
"""

__version__ = "0.1.0"


def keep_alive(*objects):
    """Keep `objects` alive at least until this call, whatever early freeing decides (like .NET's
    GC.KeepAlive or Java's Reference.reachabilityFence): put it after the last use of something
    derived from them, e.g. a raw address. Does nothing else."""
    return None


def no_early_free(function):
    """Decorator: early freeing leaves this function as compiled. The rewriter sees the decorator
    and skips the function; if the function was rewritten anyway (decorator applied by a call, or
    other decorators above it), its original code is put back here."""
    import sys

    hook = sys.modules.get("_shrinkpy_loader")  # shrinkpython's embedded loader hook, if running
    code = getattr(function, "__code__", None)
    if hook is not None and code is not None:
        function.__code__ = hook.original_code(code)
    return function


def install_allocator(name=None):
    """Install shrinkpy's allocator into this running interpreter and return its name.

    `name` defaults to SHRINKPY_ALLOCATOR ('arena' unless set); the SHRINKPY_ARENA_* and
    SHRINKPY_MAX_HEAP settings apply. It wraps the allocator that is running: blocks allocated before
    go back to it when freed. Under shrinkpython the allocator is installed already and this
    returns its name.
    """
    return _alloc_module().install_allocator(name)


def allocator_stats():
    """The installed allocator's statistics as a dict: 'allocator' (its name, or None), 'allocations'
    (counts per CPython domain, when a report is being collected, else None) and 'arena' (the arena's
    memory, pools, pages returned and size classes, else None); schema in report.schema.json."""
    import json

    return json.loads(_alloc_module().stats_json())


def _alloc_module():
    """shrinkpython's built-in _shrinkpy_alloc when running there (a fully static trimmed interpreter
    cannot load extension modules), else the shrinkpy._alloc extension."""
    import sys

    if "_shrinkpy_alloc" in sys.builtin_module_names:
        import _shrinkpy_alloc

        return _shrinkpy_alloc
    from shrinkpy import _alloc

    return _alloc
