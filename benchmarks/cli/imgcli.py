"""imgcli: inspect and process camera frames with numpy (info, process)."""

import argparse
import hashlib

import numpy


def info(args):
    print(f"imgcli: frames {args.size}x{args.size}, checksum {args.size * 3}")


def process(args):
    n = args.size * args.size
    frame = (numpy.arange(n, dtype=numpy.uint32) * 2654435761 % 256).astype(numpy.uint8)
    result = bytes(numpy.clip(frame.astype(numpy.int16) - 16, 0, 255).astype(numpy.uint8))
    print(f"processed, checksum {hashlib.sha256(result).hexdigest()[:16]}")


def main():
    parser = argparse.ArgumentParser(prog="imgcli", description=__doc__)
    parser.add_argument("--size", type=int, default=256)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("info", info), ("process", process)):
        sub.add_parser(name).set_defaults(run=fn)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
