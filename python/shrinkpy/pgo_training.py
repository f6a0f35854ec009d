"""The training run of the trimmed interpreter's profile-guided build (speed_build.py): a few
seconds of what Python programs spend their time on (the evaluation loop, calls, attribute and
global lookups, dicts, lists, str, int and float arithmetic, exceptions, generators, sorting, the
pure-Python json and re paths, numbers formatted: repr, format specs, %, round(); bytearray and
array indexing, int powers; floats compared with ints, tuples with equal first items), so that the
profile covers the interpreter's hot paths rather than one benchmark's. A path the training never
runs is compiled for size and moved out of its function (`bytearray_subscript.cold`: 1.8% of
image_filters' time before bytes_and_arrays was added; `_Py_dg_dtoa.cold`, reached by round(x, 2),
29% of service_spikes' before comparisons_and_rounding).
Standard library only, and only modules every board keeps: it runs on the build tree's interpreter,
whatever C modules the board kept.
"""

import json
import re

try:
    from array import array
except ImportError:  # a module set without `array` (--modules FILE): its bytearray part still runs
    array = None


class Task:
    def __init__(self, ident, priority):
        self.ident, self.priority, self.count = ident, priority, 0

    def run(self, n):
        self.count += n
        return self.count % 7


def objects_and_calls(rounds):
    tasks = [Task(i, i % 5) for i in range(200)]
    total = 0
    for _ in range(rounds):
        for t in tasks:
            total += t.run(t.priority + 1)
    return total


def numbers(n):
    x, y, acc = 0.5, 1.5, 0
    for i in range(n):
        x = (x * 1.0001 + y) % 97.0
        acc += (i * i) // 3 - (i << 2) + (i ^ 5)
    return acc, round(x, 6)


def containers(n):
    d, words = {}, [f"w{i % 97}" for i in range(n)]
    for w in words:
        d[w] = d.get(w, 0) + 1
    pairs = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))
    squares = {i: i * i for i in range(n // 10)}
    nested = [[j for j in range(i % 8)] for i in range(n // 10)]
    return len(pairs), sum(squares.values()), sum(map(len, nested)), " ".join(words[:50]).upper().count("W")


def generators_and_exceptions(n):
    def gen():
        for i in range(n):
            if i % 3:
                yield i
    caught = 0
    for i in gen():
        try:
            if i % 11 == 0:
                raise ValueError(i)
        except ValueError:
            caught += 1
    return caught


def text(n):
    doc = [{"id": i, "name": f"item-{i}", "tags": ["a", "b"][: i % 3], "price": i * 0.25} for i in range(n)]
    encoded = json.dumps(doc)
    back = json.loads(encoded)
    pattern = re.compile(r"item-(\d+)")
    found = sum(int(m.group(1)) for m in pattern.finditer(encoded))
    return len(back), found, encoded.replace("item", "x").split(",")[:3]


def formatting(n):
    out = []
    for i in range(n):
        x = i / 7.0
        out.append(f"{i:09d} {x:.3f} {i:,} {x!r} {i:>8x}")
        out.append("%d %s %.2f" % (i, x, x))
        out.append(str(x) + repr(i * 1.5))
    return len(out), sum(map(len, out)), float(out[-2].split()[-1]) if out else 0.0


def comparisons_and_rounding(n):
    rows = [(i % 50, (i * 7) % 13 / 4.0, f"k{i % 11}") for i in range(n)]
    ordered = sorted(rows)  # equal first items: the tuples' second items decide
    between = sum(1 for _, v, _ in rows if 1 < v <= 3)  # a float against an int
    rounded = [round(v * 1.37, 2) for _, v, _ in rows]  # dtoa's fixed-digits mode
    return ordered[0], ordered[-1], max(rows), between, round(sum(rounded), 3)


def bytes_and_arrays(n):
    size = 64
    img = bytearray(size * size)
    for y in range(size):
        for x in range(size):
            img[y * size + x] = ((x - 32) ** 2 + (y - 32) ** 2) % 256
    samples = [i * 0.5 for i in range(size)]
    if array is not None:
        samples = array("d", samples)
    total = 0
    for _ in range(n):
        for i in range(1, size * size - 1):
            total += img[i - 1] + img[i] * 2 + img[i + 1]
        total += int(samples[total % size]) + len(img[1:size]) + img.count(0)
    return total, bytes(img[:8]).hex()


if __name__ == "__main__":
    print(objects_and_calls(2_000), numbers(1_500_000), containers(1_000_000),
          generators_and_exceptions(1_000_000), text(20_000), formatting(100_000),
          comparisons_and_rounding(200_000), bytes_and_arrays(40))
