"""A week of web server logs, one day at a time: read the day's log, parse every line, summarise,
keep the summary; then a weekly roll-up.

The batch loop of a nightly job: each iteration's text and parsed events are never read again
after the summary, yet they stay bound while the next day is read and parsed.

    log_batches.py [--scale F] [--lines N] [--days D] [--seed S]
"""

import random
import re
from collections import Counter

from workload_support import arguments, checksum, mark

LINE = re.compile(r'(\S+) - - \[(\d+):(\d+):(\d+)\] "(\w+) (\S+) HTTP/1.1" (\d{3}) (\d+)')
PATHS = ["/", "/login", "/api/v1/items", "/api/v1/orders", "/static/app.js"] + [f"/item/{n}" for n in range(400)]


def day_log(day, lines, seed):
    rng = random.Random(seed * 100 + day)
    return "\n".join(
        f'10.0.{rng.randrange(256)}.{rng.randrange(256)} - - [{day}:{n * 86400 // lines // 3600:02d}:'
        f'{n % 60:02d}] "{rng.choice(("GET", "GET", "POST"))} {rng.choice(PATHS)} HTTP/1.1" '
        f'{rng.choice((200, 200, 200, 304, 404, 500))} {rng.randrange(100, 90000)}'
        for n in range(lines))


def parse(text):
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            events.append({"ip": m[1], "hour": int(m[3]), "method": m[5], "path": m[6], "status": int(m[7]),
                           "bytes": int(m[8])})
    return events


def summarise(events):
    statuses = Counter(e["status"] for e in events)
    paths = Counter(e["path"] for e in events if e["status"] == 200)
    return {"requests": len(events), "errors": statuses[500], "bytes": sum(e["bytes"] for e in events),
            "top": paths.most_common(5), "hours": sorted(Counter(e["hour"] for e in events).items())}


def main():
    args = arguments(__doc__.splitlines()[0], lines=60000, days=7).parse_args()
    lines = int(args.lines * args.scale)
    daily = []
    for day in range(1, args.days + 1):
        text = day_log(day, lines, args.seed)
        events = parse(text)
        summary = summarise(events)
        daily.append(summary)
    week = {"requests": sum(d["requests"] for d in daily), "errors": sum(d["errors"] for d in daily),
            "busiest": max(daily, key=lambda d: d["requests"])["top"]}
    mark("retained")
    print(f"{week['requests']} requests, {week['errors']} errors, checksum {checksum((week, daily))}")


if __name__ == "__main__":
    main()
