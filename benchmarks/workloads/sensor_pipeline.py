"""A day of sensor readings: generate the log, parse it, window it, aggregate, print a checksum.

What a Raspberry Pi data logger does every night: the raw log is read whole, parsed into records,
grouped into five-minute windows per sensor, summarised, and only the summary is kept. The input
is generated from a fixed seed, so every interpreter and allocator must print the same checksum.

    sensor_pipeline.py [--sensors N] [--hours H] [--seed S]
"""

import argparse
import hashlib
import random
import statistics

WINDOW_SECONDS = 300
KINDS = ("temperature", "humidity", "pressure", "voltage")


def generate_log(sensors, hours, seed):
    """The raw log as one CSV text: timestamp,sensor,kind,value,status."""
    rng = random.Random(seed)
    base = {f"s{n:03d}": (KINDS[n % len(KINDS)], rng.uniform(10, 1000)) for n in range(sensors)}
    lines = ["timestamp,sensor,kind,value,status"]
    for t in range(0, hours * 3600, 2):
        for sensor, (kind, level) in base.items():
            value = level + rng.gauss(0, level * 0.01)
            status = "ok" if rng.random() > 0.002 else "fault"
            lines.append(f"{1700000000 + t},{sensor},{kind},{value:.3f},{status}")
    return "\n".join(lines)


def parse(text):
    records = []
    for line in text.splitlines()[1:]:
        timestamp, sensor, kind, value, status = line.split(",")
        records.append({"t": int(timestamp), "sensor": sensor, "kind": kind, "value": float(value), "ok": status == "ok"})
    return records


def windows(records):
    grouped = {}
    for r in records:
        if r["ok"]:
            grouped.setdefault((r["sensor"], r["t"] // WINDOW_SECONDS), []).append(r["value"])
    return grouped


def summarise(grouped):
    summary = []
    for (sensor, window), values in sorted(grouped.items()):
        summary.append((sensor, window, round(statistics.fmean(values), 3), min(values), max(values), len(values)))
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=6)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    text = generate_log(args.sensors, args.hours, args.seed)
    records = parse(text)
    grouped = windows(records)
    summary = summarise(grouped)
    faults = sum(1 for r in records if not r["ok"])

    digest = hashlib.sha256(repr(summary).encode()).hexdigest()[:16]
    print(f"{len(records)} readings, {faults} faults, {len(summary)} windows, checksum {digest}")


if __name__ == "__main__":
    main()
