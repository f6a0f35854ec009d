"""Functions for the early-freeing policy (analyzer/include/shrinkpy/analyzer/provenance.hpp and
release_plan.hpp), with what the rewriter must do to each as this module's own code (not __main__).

SAFE[name] / AGGRESSIVE[name]: the locals released at least once in `name` under that mode (never
a loop variable inside its loop: the container still holds its elements).
SKIPPED[name]: the rule that skips `name` in both modes. MAIN_RELEASED: module-level names released
when the module is __main__. RESULTS[name]: arguments and the result every rewriting must keep.
tests/cpp/test_rewrite.cpp and tests/python/test_rewrite.py check them; edit them together.
"""
import array
import ctypes
import json
import socket
import tempfile
import threading

import shrinkpy


def temporaries(path):
    with open(path) as f:
        text = f.read()
    rows = [line.split(",") for line in text.splitlines()]
    widths = sorted(len(r) for r in rows)
    return json.dumps(widths)


def resources():
    workspace = tempfile.TemporaryDirectory()
    where = workspace.name
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fd = sock.fileno()
    buffer = ctypes.create_string_buffer(16)
    address = ctypes.addressof(buffer)
    facts = [fd > 0, address > 0, len(where) > 0]
    sock.close()
    workspace.cleanup()
    return all(facts)


def tainted(names):
    locks = []
    for name in names:
        locks.append(threading.Lock())
    sizes = []
    for name in names:
        sizes.append(len(name))
    table = {}
    alias = table
    alias["lock"] = threading.Lock()
    count = len(locks) + len(table)
    return sum(sizes) + count


def handles(n):
    numbers = array.array("d", range(n))
    address, size = numbers.buffer_info()
    raw = ctypes.string_at(address, size * numbers.itemsize)
    return len(raw)


def diagonal(n):
    import numpy as np

    x = np.ones(n)
    x = x * 2.0
    x = np.sqrt(x)
    return float(x.sum())


def concatenate(parts):
    s = ""
    for p in parts:
        s = s + p
    return len(s)


def helper_result(n):
    table = build_table(n)
    size = len(table)
    return size * 2


def build_table(n):
    return {k: str(k) for k in range(n)}


def uses_locals():
    data = [1, 2, 3]
    size = len(data)
    return size, sorted(locals())


@shrinkpy.no_early_free
def decorated(n):
    data = list(range(n))
    return len(data) + n


def kept(n):
    data = list(range(n))  # shrinkpy: keep
    total = sum(data)
    return total + n


def captured(n, key):
    rows = list(range(n))
    wanted = [r for r in rows if r != key]
    return len(wanted)


def maybe_bound(flag, n):
    if flag:
        cache = list(range(n))
    i = 0
    while i < n:
        if flag:
            i += len(cache)
        i += 1
    return [i] * 3


TABLE = [n * n for n in range(100)]
SMALL = sum(TABLE)
WORDS = "a b c".split()
COUNT = len(WORDS)


def reads_words():
    return len(WORDS)


SAFE = {
    "temporaries": {"text", "rows", "widths"},
    "resources": {"fd", "address", "facts"},
    "tainted": {"sizes", "count"},
    "handles": {"address", "size"},  # numbers: its address goes to a call, which may keep it
    "diagonal": {"x"},
    "concatenate": set(),
    "helper_result": {"table", "size"},
    "kept": {"total"},
    "captured": {"rows", "wanted"},
    "maybe_bound": {"cache", "i"},
}
AGGRESSIVE = {
    "temporaries": {"f", "text", "rows", "widths", "path"},
    "resources": {"workspace", "where", "sock", "fd", "buffer", "address", "facts"},
    "tainted": {"names", "locks", "sizes", "table", "alias", "count"},
    "handles": {"n", "numbers", "address", "size", "raw"},
    "diagonal": {"np", "x", "n"},
    "concatenate": {"parts", "s"},
    "helper_result": {"n", "table", "size"},
    "kept": {"total"},
    "captured": {"n", "rows", "wanted", "key"},  # key: a cell only the comprehension reads
    "maybe_bound": {"cache", "i", "flag", "n"},
}
SKIPPED = {"uses_locals": "locals", "decorated": "no_early_free"}
MAIN_RELEASED = {"TABLE"}
RESULTS = {
    "temporaries": ((__file__,), None),
    "resources": ((), True),
    "tainted": ((["ab", "c"],), 6),
    "handles": ((10,), 80),
    "diagonal": ((1000,), 1414.213562),
    "concatenate": ((["ab", "cd"],), 4),
    "helper_result": ((5,), 10),
    "uses_locals": ((), (3, ["data", "size"])),
    "decorated": ((3,), 6),
    "kept": ((4,), 10),
    "captured": ((5, 2), 4),
    "reads_words": ((), 3),
    "maybe_bound": ((True, 3), [4, 4, 4]),
}
