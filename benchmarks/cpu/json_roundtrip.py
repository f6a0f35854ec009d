"""JSON dumps and loads of many small documents (pyperformance's json_dumps/json_loads): the
serialisation code of the standard library and many short-lived dicts and strings.

    json_roundtrip.py [--scale F] [--documents N] [--seed S]
"""

import json
import random

from workload_support import arguments, checksum


def document(rng, n):
    return {"id": n, "name": f"sensor-{n}", "ok": rng.random() > 0.1, "tags": ["a", "b", str(n % 7)],
            "readings": [round(rng.uniform(-40, 60), 3) for _ in range(12)], "meta": {"fw": "1.2.3", "slot": n % 16}}


def main():
    args = arguments(__doc__.splitlines()[0], documents=80000).parse_args()
    rng = random.Random(args.seed)
    total = 0.0
    size = 0
    for n in range(int(args.documents * args.scale)):
        text = json.dumps(document(rng, n), sort_keys=True)
        back = json.loads(text)
        size += len(text)
        total += sum(back["readings"])
    print(f"{size} bytes, checksum {checksum((size, round(total, 3)))}")


if __name__ == "__main__":
    main()
