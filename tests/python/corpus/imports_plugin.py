"""A module whose import has effects beyond itself (tests/cpp/test_import_rewrite.cpp). Compiled,
never run."""
import atexit
import signal as sig
from registry import register, REGISTRY

atexit.register(print)
sig.signal(sig.SIGTERM, print)
REGISTRY["x"] = 1


@register
def plugin():
    return 1


if __name__ == "__main__":
    sig.alarm(1)
