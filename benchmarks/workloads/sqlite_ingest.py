"""Ingest a batch of meter readings into SQLite and answer the dashboard's queries.

A Pi collecting readings from smart meters: parse the batch file, insert it in one transaction,
index it, aggregate. The database lives in a temporary file, as on the device. SQLite allocates
its own page cache through the C allocator, not through Python's.

    sqlite_ingest.py [--scale F] [--rows N] [--seed S]
"""

import os
import random
import sqlite3
import tempfile

from workload_support import arguments, checksum, mark, scaled


def batch_file(rows, seed):
    rng = random.Random(seed)
    lines = []
    for n in range(rows):
        meter = rng.randint(1, 500)
        lines.append(f"{meter};{1700000000 + n * 7};{rng.uniform(0.0, 3.5):.4f};{rng.choice('ABCD')}")
    return "\n".join(lines)


def ingest_and_query(rows, seed):
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(os.path.join(tmp, "meters.db"))
        db.execute("CREATE TABLE readings (meter INTEGER, ts INTEGER, kwh REAL, tariff TEXT)")
        parsed = [(int(m), int(t), float(k), tariff) for m, t, k, tariff in
                  (line.split(";") for line in batch_file(rows, seed).splitlines())]
        with db:
            db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)", parsed)
        db.execute("CREATE INDEX by_meter ON readings (meter, ts)")
        answers = [
            db.execute("SELECT COUNT(*), ROUND(SUM(kwh), 3) FROM readings").fetchone(),
            db.execute("SELECT tariff, COUNT(*), ROUND(AVG(kwh), 4) FROM readings GROUP BY tariff ORDER BY tariff").fetchall(),
            db.execute("SELECT meter, ROUND(SUM(kwh), 3) AS total FROM readings GROUP BY meter "
                       "ORDER BY total DESC, meter LIMIT 10").fetchall(),
            db.execute("SELECT ts / 86400, ROUND(MAX(kwh), 4) FROM readings WHERE meter = 42 GROUP BY 1 ORDER BY 1").fetchall(),
        ]
        db.close()
    return answers


def main():
    args = arguments(__doc__.splitlines()[0], rows=300000).parse_args()
    answers = ingest_and_query(scaled(args.rows, args.scale), args.seed)
    mark("retained")
    print(f"{answers[0][0]} readings, {answers[0][1]} kWh, checksum {checksum(answers)}")


if __name__ == "__main__":
    main()
