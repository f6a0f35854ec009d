"""What the spike workloads share: a large temporary structure that a program builds, summarises
and drops, keeping a small part of it. Allocators keep most of such a spike after it is gone:
pymalloc returns an arena only when every pool in it is empty, glibc keeps freed memory until
malloc_trim, mimalloc purges lazily (issue #4 has the figures for Debian's python3.11).

Each spike workload marks "before" (RSS before the spike) and "retained" (RSS after the drop).
"""

import random

from workload_support import arguments, checksum, mark, scaled


def dict_spike(description, keep):
    """A dict of 1M int keys to str values, summarised, then dropped but for `keep` of the values:
    "none", "every50" (every 50th value) or "random2" (2% of the values, chosen at random)."""
    args = arguments(description, entries=1_000_000).parse_args()
    n = scaled(args.entries, args.scale, minimum=1000)
    mark("before")
    table = {i: f"customer-{i:09d}" for i in range(n)}
    summary = (len(table), sum(len(v) for v in table.values()), min(table.values()), max(table.values()))
    if keep == "every50":
        kept = [table[i] for i in range(0, n, 50)]
    elif keep == "random2":
        rng = random.Random(args.seed)
        kept = [value for value in table.values() if rng.random() < 0.02]
    else:
        kept = []
    del table
    mark("retained")
    print(f"{summary[0]} entries, {len(kept)} kept, checksum {checksum((summary, kept[:50], len(kept)))}")
