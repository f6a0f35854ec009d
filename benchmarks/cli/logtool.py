"""logtool: count, analyse and export application logs (count, analyse, export)."""

import argparse
import collections
import csv
import gzip
import io
import json
import re
import statistics

LINES = [f"2026-11-23T{h:02d}:{m:02d}:00 {'ERROR' if (h * m) % 17 == 0 else 'INFO'} request took {(h * 37 + m) % 900} ms"
         for h in range(24) for m in range(60)]


def count(args):
    print(f"logtool: {len(LINES)} lines, checksum {sum(1 for line in LINES if ' ERROR ' in line)}")


def analyse(args):
    pattern = re.compile(r"T(\d\d):\d\d:\d\d (\w+) request took (\d+) ms")
    by_level = collections.Counter()
    times = []
    for line in LINES:
        m = pattern.search(line)
        by_level[m.group(2)] += 1
        times.append(int(m.group(3)))
    print(f"analysed {sorted(by_level.items())}, checksum {statistics.median(times)}")


def export(args):
    out = io.StringIO()
    writer = csv.writer(out)
    for line in LINES:
        writer.writerow(line.split(" ", 2))
    packed = gzip.compress(json.dumps(out.getvalue()).encode(), mtime=0)
    print(f"exported {len(packed)} bytes, checksum {len(out.getvalue())}")


def main():
    parser = argparse.ArgumentParser(prog="logtool", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("count", count), ("analyse", analyse), ("export", export)):
        sub.add_parser(name).set_defaults(run=fn)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
