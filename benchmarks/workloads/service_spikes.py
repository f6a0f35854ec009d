"""A long-running asyncio service with periodic spikes: small requests all the time, and every so
often a report that builds a large structure, serialises it and drops it.

The home-automation hub pattern: the process lives for weeks, so what matters is the memory it
keeps between spikes, not only the peak. The runner's "retained" mark is taken after the last spike.

    service_spikes.py [--scale F] [--ticks N] [--spike-every K] [--seed S]
"""

import asyncio
import json
import random
from collections import deque

from workload_support import arguments, checksum, mark, scaled


class Hub:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.recent = deque(maxlen=500)  # the small state a service keeps
        self.handled = 0

    async def handle_request(self, n):
        event = {"device": f"dev-{self.rng.randint(1, 200)}", "value": round(self.rng.random() * 100, 2), "seq": n}
        self.recent.append(event)
        self.handled += 1
        await asyncio.sleep(0)

    async def build_report(self, size):
        """The spike: a full history report, serialised and sent, then dropped."""
        rows = [{"device": f"dev-{i % 200}", "hour": i % 24, "readings": [self.rng.random() for _ in range(8)],
                 "label": f"reading {i}"} for i in range(size)]
        by_device = {}
        for row in rows:
            by_device.setdefault(row["device"], []).append(sum(row["readings"]))
        payload = json.dumps({"rows": rows, "summary": {k: sum(v) / len(v) for k, v in by_device.items()}})
        await asyncio.sleep(0)
        return len(payload), round(sum(sum(v) for v in by_device.values()), 3)


async def serve(ticks, spike_every, spike_size, seed):
    hub = Hub(seed)
    reports = []
    for tick in range(ticks):
        await asyncio.gather(*(hub.handle_request(tick * 10 + i) for i in range(10)))
        if tick % spike_every == spike_every - 1:
            reports.append(await hub.build_report(spike_size))
    return hub.handled, reports, list(hub.recent)[-3:]


def main():
    args = arguments(__doc__.splitlines()[0], ticks=2000, spike_every=400, spike_size=50000).parse_args()
    handled, reports, tail = asyncio.run(
        serve(scaled(args.ticks, args.scale, minimum=args.spike_every), args.spike_every,
              scaled(args.spike_size, args.scale, minimum=100), args.seed))
    mark("retained")
    print(f"{handled} requests, {len(reports)} reports, checksum {checksum((reports, tail))}")


if __name__ == "__main__":
    main()
