"""A day of sensor readings: generate the log, parse it, window it, aggregate, print a checksum.

What a Raspberry Pi data logger does every night: the raw log is read whole, parsed into records,
grouped into five-minute windows per sensor, summarised, and only the summary is kept. The input
is generated from a fixed seed, so every interpreter and allocator must print the same checksum.

    sensor_pipeline.py [--scale F] [--sensors N] [--hours H] [--seed S]
"""

import random
import statistics

from workload_support import arguments, checksum, mark, scaled

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


def nightly_run(sensors, hours, seed):
    text = generate_log(sensors, hours, seed)
    records = parse(text)
    grouped = windows(records)
    summary = summarise(grouped)
    faults = sum(1 for r in records if not r["ok"])
    return len(records), faults, summary


def main():
    args = arguments(__doc__.splitlines()[0], sensors=6, hours=24).parse_args()
    readings, faults, summary = nightly_run(args.sensors, scaled(args.hours, args.scale), args.seed)
    mark("retained")
    print(f"{readings} readings, {faults} faults, {len(summary)} windows, checksum {checksum(summary)}")


if __name__ == "__main__":
    main()
