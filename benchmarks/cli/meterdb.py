"""meterdb: store smart-meter readings and bill them (config, ingest, bill)."""

import argparse
import decimal
import os
import sqlite3
import statistics
import tempfile


def config(args):
    print(f"meterdb: database {args.db or '<temporary>'}, tariff {args.tariff}, checksum {len(args.tariff) * 31}")


def ingest(args):
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(args.db or os.path.join(tmp, "m.db"))
        db.execute("CREATE TABLE r (meter INTEGER, kwh REAL)")
        db.executemany("INSERT INTO r VALUES (?, ?)", ((n % 97, (n * 37 % 1000) / 100) for n in range(20000)))
        total = db.execute("SELECT ROUND(SUM(kwh), 2) FROM r").fetchone()[0]
        db.close()
    print(f"ingested, checksum {total}")


def bill(args):
    prices = [decimal.Decimal(n % 50) / 100 for n in range(5000)]
    print(f"billed, checksum {sum(prices)} {statistics.median(prices)}")


def main():
    parser = argparse.ArgumentParser(prog="meterdb", description=__doc__)
    parser.add_argument("--db")
    parser.add_argument("--tariff", default="night-and-day")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("config", config), ("ingest", ingest), ("bill", bill)):
        sub.add_parser(name).set_defaults(run=fn)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
