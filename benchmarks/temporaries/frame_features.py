"""A camera board's feature pass over a burst of full-HD frames, with bytes and bytearray only:
take the green channel, stretch its contrast, threshold it, subsample the mask, count features.

Every stage makes a new buffer from the one before; a frame's stages are dead once its features
are counted, but they stay bound while the next frame is captured and processed.

    frame_features.py [--scale F] [--frames K] [--seed S]
"""

import random

from workload_support import arguments, checksum, mark

WIDTH, HEIGHT = 1920, 1080


def capture(rng, scale):
    """A frame: rows of RGB noise, each row the first one rotated by a few pixels."""
    row = bytes(rng.randrange(256) for _ in range(WIDTH * 3))
    rows = max(8, int(HEIGHT * scale))
    return bytearray(b"".join(row[k % 7 * 3:] + row[: k % 7 * 3] for k in range(rows)))


def main():
    args = arguments(__doc__.splitlines()[0], frames=20).parse_args()
    rng = random.Random(args.seed)
    stretch = bytes(min(255, max(0, (v - 40) * 2)) for v in range(256))
    threshold = bytes(255 if v > 180 else 0 for v in range(256))
    features = []
    for frame_number in range(args.frames):
        frame = capture(rng, args.scale)
        green = frame[1::3]
        contrast = green.translate(stretch)
        mask = contrast.translate(threshold)
        coarse = mask[::16]
        features.append((frame_number, coarse.count(255), mask.count(255) // 1000))
    mark("retained")
    print(f"{len(features)} frames, {sum(f[1] for f in features)} coarse features, checksum {checksum(features)}")


if __name__ == "__main__":
    main()
