"""The training run of the trimmed interpreter's profile-guided build (speed_build.py): a few
seconds of what Python programs spend their time on (the evaluation loop, calls, attribute and
global lookups, dicts, lists, str, int and float arithmetic, exceptions, generators, sorting, the
pure-Python json and re paths, numbers formatted: repr, format specs, %, round(); bytearray and
array indexing, int powers; floats compared with ints, tuples with equal first items; case changes
of non-ASCII text, regular expressions with classes, groups and alternatives; the C halves of
random, heapq, bisect, collections, itertools, math, csv and hashlib), so that the profile covers
the interpreter's hot paths rather than one benchmark's. A path the training never runs is
compiled for size and moved out of its function (`bytearray_subscript.cold`: 1.8% of
image_filters' time before bytes_and_arrays was added; `_Py_dg_dtoa.cold`, reached by round(x, 2),
29% of service_spikes' before comparisons_and_rounding), and a function it never runs is compiled
for size whole: before text_and_patterns and library_accelerators, 11% of text_index's
instructions and of json_to_csv's ran in such functions (str.capitalize, lower_ucs4, bisect,
_csv's writer, _sha256, the Mersenne twister).
Standard library only: it runs on the build tree's interpreter, whatever C modules the board kept,
so a part that needs a module beyond those every build has (_sre, _collections, itertools) runs only
where that module is (_optional).
"""

import bisect
import collections
import heapq
import importlib
import io
import itertools
import json
import re


def _optional(name):
    """A module a board may leave out (--modules FILE), or None: the parts using it are skipped."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


array = getattr(_optional("array"), "array", None)  # without it the bytearray part still runs
csv, math, random = _optional("csv"), _optional("math"), _optional("random")
sha256 = getattr(_optional("_sha256"), "sha256", None)  # what hashlib uses without OpenSSL


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


def text_and_patterns(n):
    words = ["Straße", "café", "naïve", "Ελλάδα", "plain", "ascii", "don't", "İstanbul", "emoji\U0001F600"]
    text = " ".join(words[i % len(words)] for i in range(n))
    cased = [text.lower(), text.upper(), text.capitalize(), text.title(), text.casefold(), text.swapcase()]
    token = re.compile(r"[a-z]+(?:'[a-z]+)?")
    fields = re.compile(r"(?P<level>INFO|WARN|ERROR)\s+\[(\w+)\]\s+(\d+)ms|(?i:timeout)")
    log = "".join(f"INFO [svc{i % 7}] {i % 500}ms\nERROR [db] {i}ms Timeout\n" for i in range(n // 10))
    access = re.compile(r'(?P<ip>\d+\.\d+\.\d+\.\d+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
                        r'(?P<status>\d{3}) (?P<size>\d+|-)')
    lines = [f'10.0.{i % 256}.{i % 7} - [{i % 24:02d}:{i % 60:02d}:00 +0000] "GET /p/{i} HTTP/1.1" {200 + i % 5} '
             f'{"-" if i % 9 == 0 else i}' for i in range(n // 5)]
    found = [len(token.findall(t)) for t in cased]
    found.append(sum(len(m["request"]) for m in map(access.match, lines) if m and m.group("size") != "-"))
    found.append(sum(1 for m in fields.finditer(log) if m.group("level") or m.group(0)))
    found.append(len(re.split(r"[\s,;]+", text)) + len(re.sub(r"\d+", "#", log)))
    found.append(sum(1 for line in log.splitlines() if re.search(r"ERROR.*\d{3,}ms", line)))
    return found, text.find("Ελλάδα", n), text.count("é"), text.replace("café", "cafe")[:40]


def library_accelerators(n):
    if random is not None:
        rng = random.Random(7)
        values = [rng.random() * 100 for _ in range(n)]
        ints = [rng.randint(0, 1_000) for _ in range(n)] + [rng.getrandbits(40) for _ in range(n // 10)]
        rng.shuffle(ints)
        picks = [rng.choice(ints) for _ in range(n // 10)] + rng.sample(ints, 100)
    else:
        values = [(i * 7919 % 10007) / 100.0 for i in range(n)]
        ints = [i * 31 % 1_000 for i in range(n)]
        picks = []
    heap = []
    for i, v in enumerate(values):
        heapq.heappush(heap, (v, i))
    popped = [heapq.heappop(heap)[1] for _ in range(len(heap) // 2)]
    ordered = sorted(values[: n // 10])
    inside = [bisect.bisect_right(ordered, v) for v in values]
    bisect.insort(ordered, 50.0)
    counts = collections.Counter(ints)
    groups = collections.defaultdict(list)
    for i in ints[: n // 10]:
        groups[i % 17].append(i)
    window = collections.deque(maxlen=50)
    window.extend(values)
    running = list(itertools.accumulate(ints[:1000]))
    pairs = sum(1 for _ in itertools.islice(itertools.product(range(30), repeat=2), 500))
    total = math.fsum(values) + math.sqrt(sum(v * v for v in values)) if math is not None else sum(values)
    digest = None
    if sha256 is not None:
        h = sha256()
        for i in range(n // 10):
            h.update(f"row {i} {values[i]:.3f}".encode())
        digest = h.hexdigest()[:8]
    rows = None
    if csv is not None:
        out = io.StringIO()
        writer = csv.writer(out)
        for i in range(n // 10):
            writer.writerow([i, f"name {i}", values[i], "a,b" if i % 3 else 'say "hi"', None])
        rows = sum(len(r) for r in csv.reader(io.StringIO(out.getvalue())))
    return (len(popped), sum(inside), counts.most_common(3), len(groups), sum(window), running[-1], pairs,
            round(total, 3), sum(picks) % 97, digest, rows)


if __name__ == "__main__":
    print(objects_and_calls(2_000), numbers(1_500_000), containers(1_000_000),
          generators_and_exceptions(1_000_000), text(20_000), formatting(100_000),
          comparisons_and_rounding(200_000), bytes_and_arrays(40), text_and_patterns(50_000),
          library_accelerators(100_000))
