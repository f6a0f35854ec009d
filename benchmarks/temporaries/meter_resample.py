"""A utility gateway resamples each smart meter's day of readings, one meter after another: the
raw series as an array of doubles, its deltas, a smoothed series, hourly means; only the hourly
profile of each meter is kept.

Per meter, three full-length arrays are made from the one before and never read again after the
profile, yet they stay bound while the next meter is read.

    meter_resample.py [--scale F] [--meters M] [--samples N] [--seed S]
"""

import operator
import random
import statistics
from array import array
from itertools import accumulate, cycle, islice

from workload_support import arguments, checksum, mark


def read_meter(rng, samples):
    """A meter's cumulative kWh register: increments from a random load pattern, repeated."""
    base = rng.uniform(0.2, 3.0)
    pattern = [rng.uniform(0.0, base) for _ in range(997)]
    return array("d", accumulate(islice(cycle(pattern), samples)))


def main():
    args = arguments(__doc__.splitlines()[0], meters=8, samples=1000000).parse_args()
    rng = random.Random(args.seed)
    samples = int(args.samples * args.scale) + 24
    per_hour = samples // 24
    profiles = []
    for meter in range(args.meters):
        readings = read_meter(rng, samples)
        deltas = array("d", map(operator.sub, readings[1:], readings[:-1]))
        smoothed = array("d", map(operator.add, deltas, deltas[1:]))
        hourly = [round(statistics.fmean(smoothed[h * per_hour:(h + 1) * per_hour - 2]) / 2, 4) for h in range(24)]
        profiles.append((meter, round(readings[-1], 2), hourly))
    peak_hours = [max(range(24), key=p[2].__getitem__) for p in profiles]
    mark("retained")
    print(f"{len(profiles)} meters, peak hours {peak_hours[:4]}, checksum {checksum(profiles)}")


if __name__ == "__main__":
    main()
