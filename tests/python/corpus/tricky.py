"""Tricky functions for the analyzer tests, with hand-checked liveness.

LAST_USES[name] maps each local to the lines (relative to the function's `def` line) holding a
load that is a last use of that local: after it, on every path, the local is stored again or
never read. CALLS[name] lists argument tuples that run the function to completion, for the
settrace check. Edit a function only together with its expectations.
"""
import asyncio


def straight(a, b):              # +0
    x = a + 1                    # +1
    y = x * 2                    # +2
    print(y)                     # +3
    return b                     # +4


def loop_carried(n):             # +0
    total = 0                    # +1
    i = 0                        # +2
    while i < n:                 # +3
        total = total + i        # +4
        i += 1                   # +5
    return total                 # +6


def try_in_loop(items):          # +0
    out = []                     # +1
    for item in items:           # +2
        try:                     # +3
            v = 10 // item       # +4
        except ZeroDivisionError as e:   # +5
            print(e)             # +6
            continue             # +7
        else:                    # +8
            out.append(v)        # +9
        finally:                 # +10
            print(item)          # +11
    return out                   # +12


def finally_reads(path):         # +0
    handle = open(path)          # +1
    try:                         # +2
        data = handle.read()     # +3
    finally:                     # +4
        handle.close()           # +5
    return data                  # +6


def maybe_unbound(flag):         # +0
    if flag:                     # +1
        x = 1                    # +2
    try:                         # +3
        del x                    # +4
    except UnboundLocalError:    # +5
        return "unbound"         # +6
    return "deleted"             # +7


def with_in_generator(path, n):  # +0
    with open(path) as f:        # +1
        for k in range(n):       # +2
            yield f.readline()   # +3
    big = [0] * n                # +4
    yield len(big)               # +5


async def async_for(source):     # +0
    acc = []                     # +1
    async for item in source:    # +2
        acc.append(item)         # +3
    count = len(acc)             # +4
    return count                 # +5


def matcher(cmd):                # +0
    match cmd:                   # +1
        case ["go", direction]:  # +2
            return direction     # +3
        case {"k": value}:       # +4
            return value         # +5
        case Point(x=px, y=py):  # +6
            return px + py       # +7
        case _:                  # +8
            return None          # +9


class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def closure(a):                  # +0
    b = a * 2                    # +1
    def inner():                 # +2
        return a + b             # +3
    c = inner()                  # +4
    return c                     # +5


def comprehension(rows):         # +0
    scale = 3                    # +1
    doubled = [r * scale for r in rows]  # +2
    return sum(doubled)          # +3


def rebind(text):                # +0
    text = text.strip()          # +1
    parts = text.split(",")      # +2
    text = None                  # +3
    return len(parts)            # +4


def long_jump(x, flag):          # +0
    if flag:                     # +1
        x = x + 0
        x = x + 1
        x = x + 2
        x = x + 3
        x = x + 4
        x = x + 5
        x = x + 6
        x = x + 7
        x = x + 8
        x = x + 9
        x = x + 10
        x = x + 11
        x = x + 12
        x = x + 13
        x = x + 14
        x = x + 15
        x = x + 16
        x = x + 17
        x = x + 18
        x = x + 19
        x = x + 20
        x = x + 21
        x = x + 22
        x = x + 23
        x = x + 24
        x = x + 25
        x = x + 26
        x = x + 27
        x = x + 28
        x = x + 29
        x = x + 30
        x = x + 31
        x = x + 32
        x = x + 33
        x = x + 34
        x = x + 35
        x = x + 36
        x = x + 37
        x = x + 38
        x = x + 39
        x = x + 40
        x = x + 41
        x = x + 42
        x = x + 43
        x = x + 44
        x = x + 45
        x = x + 46
        x = x + 47
        x = x + 48
        x = x + 49
        x = x + 50
        x = x + 51
        x = x + 52
        x = x + 53
        x = x + 54
        x = x + 55
        x = x + 56
        x = x + 57
        x = x + 58
        x = x + 59
        x = x + 60
        x = x + 61
        x = x + 62
        x = x + 63
        x = x + 64
        x = x + 65
        x = x + 66
        x = x + 67
        x = x + 68
        x = x + 69
        x = x + 70
        x = x + 71
        x = x + 72
        x = x + 73
        x = x + 74
        x = x + 75
        x = x + 76
        x = x + 77
        x = x + 78
        x = x + 79
        x = x + 80
        x = x + 81
        x = x + 82
        x = x + 83
        x = x + 84
        x = x + 85
        x = x + 86
        x = x + 87
        x = x + 88
        x = x + 89
        x = x + 90
        x = x + 91
        x = x + 92
        x = x + 93
        x = x + 94
        x = x + 95
        x = x + 96
        x = x + 97
        x = x + 98
        x = x + 99
        x = x + 100
        x = x + 101
        x = x + 102
        x = x + 103
        x = x + 104
        x = x + 105
        x = x + 106
        x = x + 107
        x = x + 108
        x = x + 109
        x = x + 110
        x = x + 111
        x = x + 112
        x = x + 113
        x = x + 114
        x = x + 115
        x = x + 116
        x = x + 117
        x = x + 118
        x = x + 119
        x = x + 120
        x = x + 121
        x = x + 122
        x = x + 123
        x = x + 124
        x = x + 125
        x = x + 126
        x = x + 127
        x = x + 128
        x = x + 129
        x = x + 130
        x = x + 131
        x = x + 132
        x = x + 133
        x = x + 134
        x = x + 135
        x = x + 136
        x = x + 137
        x = x + 138
        x = x + 139
        x = x + 140
        x = x + 141
        x = x + 142
        x = x + 143
        x = x + 144
        x = x + 145
        x = x + 146
        x = x + 147
        x = x + 148
        x = x + 149
        x = x + 150
        x = x + 151
        x = x + 152
        x = x + 153
        x = x + 154
        x = x + 155
        x = x + 156
        x = x + 157
        x = x + 158
        x = x + 159
    return x                     # +162


def nested_try(a):               # +0
    try:                         # +1
        try:                     # +2
            r = 1 / a            # +3
        except ZeroDivisionError:  # +4
            r = 0                # +5
            raise ValueError(r)  # +6
    except ValueError:           # +7
        r = -1                   # +8
    return r                     # +9


LAST_USES = {
    "straight": {"a": [1], "x": [2], "y": [3], "b": [4]},
    # 3.11 repeats the `i < n` test at the bottom of the loop, so n and i are re-read on the back
    # edge: the load of n is never a last use. `total = total + i` and `i += 1` read a value that
    # the store on the same line replaces, so those loads are last uses of the old value.
    "loop_carried": {"i": [5], "total": [4, 6]},
    # item stays live to the finally (+11); v dies at its append; e dies when printed (the
    # compiler's own `e = None; del e` cleanup stores before deleting).
    "try_in_loop": {"out": [12], "item": [11], "v": [9], "e": [6], "items": [2]},
    "finally_reads": {"path": [1], "handle": [5], "data": [6]},
    # `del x` (DELETE_FAST) is not a load, so x has no last use; it is the only use of x.
    "maybe_unbound": {"flag": [1]},
    # f is read again by the next iteration: its load is not a last use; f dies on the loop exit
    # (an entry death, not a last use).
    "with_in_generator": {"path": [1], "n": [4], "big": [5]},
    "async_for": {"source": [2], "item": [3], "acc": [4], "count": [5]},
    "matcher": {"cmd": [1], "direction": [3], "value": [5], "px": [7], "py": [7]},
    # a and b are cells read by inner: not tracked. inner and c die at their only reads.
    "closure": {"inner": [4], "c": [5]},
    # scale is a free variable of the comprehension's code object, hence a cell: not tracked.
    "comprehension": {"rows": [2], "doubled": [3]},
    "rebind": {"text": [1, 2], "parts": [4]},
    # every `x = x + i` reads the old x for the last time; the jump over them needs EXTENDED_ARG.
    "long_jump": {"flag": [1], "x": list(range(2, 163))},
    "nested_try": {"a": [3], "r": [6, 9]},
}


async def _agen(n):
    for i in range(n):
        yield i


def _run_async_for():
    return asyncio.run(async_for(_agen(3)))


CALLS = {
    "straight": [(1, 2)],
    "loop_carried": [(0,), (4,)],
    "try_in_loop": [([1, 0, 2],), ([],)],
    "finally_reads": [(__file__,)],
    "maybe_unbound": [(True,), (False,)],
    "with_in_generator": [(__file__, 3)],
    "matcher": [(["go", "n"],), ({"k": 1},), (Point(1, 2),), (5,)],
    "closure": [(2,)],
    "comprehension": [([1, 2],), ([],)],
    "rebind": [(" a,b ",)],
    "long_jump": [(1, True), (1, False)],
    "nested_try": [(1,), (0,)],
}
