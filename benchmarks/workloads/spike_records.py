"""300k JSON-like record dicts, summarised, then dropped but for 1% of them: a batch job's working
set, with survivors scattered over every page the batch touched. Records are generated from a
fixed seed, shaped like the rows an API or an export brings (small dicts of ints, floats, strings).

    spike_records.py [--scale F] [--records N] [--seed S]
"""

import random

from workload_support import arguments, checksum, mark, scaled

def record(i, rng):
    return {"id": 1_000_000 + i, "name": f"user {rng.randint(1, 999999):06d}", "email": f"u{i:07d}@example.org",
            "score": round(rng.random() * 100, 3), "active": rng.random() < 0.7}


def main():
    args = arguments(__doc__.splitlines()[0], records=300_000).parse_args()
    n = scaled(args.records, args.scale, minimum=1000)
    rng = random.Random(args.seed)
    mark("before")
    records = [record(i, rng) for i in range(n)]
    by_state = {}
    for r in records:
        total, count = by_state.get(r["active"], (0.0, 0))
        by_state[r["active"]] = (total + r["score"], count + 1)
    summary = sorted((active, round(total / count, 3)) for active, (total, count) in by_state.items())
    kept = [r for r in records if r["id"] % 100 == 0]  # 1%
    del records
    mark("retained")
    print(f"{n} records, {len(kept)} kept, checksum {checksum((summary, kept[:20], len(kept)))}")


if __name__ == "__main__":
    main()
