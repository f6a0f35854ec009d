"""devicectl: control a fleet of sensor devices (status, serve, export)."""

import argparse
import asyncio
import decimal
import json
import random


def status(args):
    print(f"devicectl: {args.devices} devices configured, checksum {args.devices * 7919 % 10007}")


async def _serve(devices, rounds):
    queue = asyncio.Queue()

    async def device(n):
        for r in range(rounds):
            await queue.put((n, r, n * r % 13))

    await asyncio.gather(*(device(n) for n in range(devices)))
    total = 0
    while not queue.empty():
        total += (await queue.get())[2]
    return total


def serve(args):
    print(f"served, checksum {asyncio.run(_serve(args.devices, 200))}")


def export(args):
    rng = random.Random(7)
    readings = [{"device": n, "kwh": str(decimal.Decimal(rng.randint(0, 10**6)) / 1000)} for n in range(args.devices * 50)]
    total = sum(decimal.Decimal(r["kwh"]) for r in readings)
    print(f"exported {len(json.dumps(readings))} bytes, checksum {total}")


def main():
    parser = argparse.ArgumentParser(prog="devicectl", description=__doc__)
    parser.add_argument("--devices", type=int, default=40)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("status", status), ("serve", serve), ("export", export)):
        sub.add_parser(name).set_defaults(run=fn)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
