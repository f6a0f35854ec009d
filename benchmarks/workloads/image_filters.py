"""An image filter chain on raw buffers: blur, edges, threshold, histogram equalisation.

What a camera board does to a frame in pure Python with `array` and `bytearray` (no numpy):
every stage makes a new buffer from the previous one. The frame is a generated 8-bit grayscale
scene (gradients, discs and noise from a fixed seed).

    image_filters.py [--scale F] [--size N] [--frames K] [--seed S]
"""

import random
from array import array

from workload_support import arguments, checksum, mark, scaled


def scene(size, seed):
    rng = random.Random(seed)
    discs = [(rng.randrange(size), rng.randrange(size), rng.randint(size // 20, size // 6), rng.randint(40, 215))
             for _ in range(12)]
    img = bytearray(size * size)
    for y in range(size):
        row = y * size
        for x in range(size):
            v = (x + y) * 255 // (2 * size)
            for cx, cy, r, shade in discs:
                if (x - cx) ** 2 + (y - cy) ** 2 < r * r:
                    v = shade
            img[row + x] = max(0, min(255, v + rng.randint(-12, 12)))
    return img


def box_blur(img, size):
    out = bytearray(len(img))
    for y in range(1, size - 1):
        up, row, down = (y - 1) * size, y * size, (y + 1) * size
        for x in range(1, size - 1):
            s = (img[up + x - 1] + img[up + x] + img[up + x + 1] + img[row + x - 1] + img[row + x] +
                 img[row + x + 1] + img[down + x - 1] + img[down + x] + img[down + x + 1])
            out[row + x] = s // 9
    return out


def sobel(img, size):
    out = array("f", bytes(4 * len(img)))
    for y in range(1, size - 1):
        up, row, down = (y - 1) * size, y * size, (y + 1) * size
        for x in range(1, size - 1):
            gx = (img[up + x + 1] + 2 * img[row + x + 1] + img[down + x + 1]
                  - img[up + x - 1] - 2 * img[row + x - 1] - img[down + x - 1])
            gy = (img[down + x - 1] + 2 * img[down + x] + img[down + x + 1]
                  - img[up + x - 1] - 2 * img[up + x] - img[up + x + 1])
            out[row + x] = (gx * gx + gy * gy) ** 0.5
    return out


def threshold(magnitudes, level):
    return bytearray(255 if m > level else 0 for m in magnitudes)


def equalise(img):
    histogram = [0] * 256
    for v in img:
        histogram[v] += 1
    cdf, total = [], 0
    for count in histogram:
        total += count
        cdf.append(total)
    lowest = next(c for c in cdf if c)
    span = max(1, len(img) - lowest)
    table = bytes(max(0, (c - lowest) * 255 // span) for c in cdf)
    return img.translate(table)


def process(size, frames, seed):
    results = []
    for frame in range(frames):
        img = scene(size, seed + frame)
        blurred = box_blur(img, size)
        edges = sobel(blurred, size)
        mask = threshold(edges, 90.0)
        contrast = equalise(blurred)
        results.append((sum(mask) // 255, checksum(bytes(contrast)), round(max(edges), 2)))
    return results


def main():
    args = arguments(__doc__.splitlines()[0], size=320, frames=3).parse_args()
    results = process(scaled(args.size, args.scale ** 0.5, minimum=16), args.frames, args.seed)
    mark("retained")
    print(f"{len(results)} frames, {sum(r[0] for r in results)} edge pixels, checksum {checksum(results)}")


if __name__ == "__main__":
    main()
