"""Analyse a day of web server access logs with regular expressions: status codes, busiest paths,
hourly traffic, user agents, response-size percentiles.

The nightly report of a small web server on a Pi. The log is in Apache's combined format,
generated from a fixed seed.

    log_analyser.py [--scale F] [--lines N] [--seed S]
"""

import random
import re
from collections import Counter, defaultdict

from workload_support import arguments, checksum, mark, scaled

LINE = re.compile(r'(?P<ip>\d+\.\d+\.\d+\.\d+) - (?P<user>\S+) \[(?P<day>\d+)/(?P<month>\w+)/(?P<year>\d+):'
                  r'(?P<hour>\d+):(?P<minute>\d+):(?P<second>\d+) [+-]\d{4}\] "(?P<method>[A-Z]+) (?P<path>\S+) '
                  r'HTTP/1\.[01]" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)"')
PATHS = ["/", "/index.html", "/api/v1/sensors", "/api/v1/status", "/static/app.js", "/static/style.css",
         "/login", "/admin", "/images/logo.png", "/feed.xml"] + [f"/blog/post-{n}" for n in range(300)]
AGENTS = ["Mozilla/5.0 (X11; Linux aarch64) Firefox/120.0", "curl/7.88.1", "Python-urllib/3.11",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1", "Googlebot/2.1 (+http://www.google.com/bot.html)"]


def access_log(lines, seed):
    rng = random.Random(seed)
    out = []
    for n in range(lines):
        second = n * 86400 // lines
        size = "-" if rng.random() < 0.05 else str(int(rng.expovariate(1 / 4000)))
        status = rng.choices(["200", "304", "404", "500", "301"], [80, 10, 6, 1, 3])[0]
        out.append(f'10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)} - - '
                   f'[23/Nov/2026:{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0000] '
                   f'"{rng.choice(["GET", "GET", "GET", "POST"])} {rng.choice(PATHS)} HTTP/1.1" {status} {size} '
                   f'"-" "{rng.choice(AGENTS)}"')
    return "\n".join(out)


def analyse(text):
    statuses, paths, agents, hours = Counter(), Counter(), Counter(), Counter()
    sizes_by_status = defaultdict(list)
    malformed = 0
    for line in text.splitlines():
        m = LINE.match(line)
        if m is None:
            malformed += 1
            continue
        statuses[m["status"]] += 1
        paths[m["path"]] += 1
        agents[m["agent"].split("/")[0]] += 1
        hours[int(m["hour"])] += 1
        if m["size"] != "-":
            sizes_by_status[m["status"]].append(int(m["size"]))
    percentiles = {}
    for status, sizes in sorted(sizes_by_status.items()):
        sizes.sort()
        percentiles[status] = [sizes[int(len(sizes) * q)] for q in (0.5, 0.9, 0.99)]
    return sorted(statuses.items()), paths.most_common(10), sorted(agents.items()), sorted(hours.items()), \
        percentiles, malformed


def nightly_report(lines, seed):
    text = access_log(lines, seed)
    return analyse(text)


def main():
    args = arguments(__doc__.splitlines()[0], lines=250000).parse_args()
    report = nightly_report(scaled(args.lines, args.scale), args.seed)
    mark("retained")
    print(f"{sum(n for _, n in report[0])} requests, {report[5]} malformed, busiest {report[1][0][0]}, "
          f"checksum {checksum(report)}")


if __name__ == "__main__":
    main()
