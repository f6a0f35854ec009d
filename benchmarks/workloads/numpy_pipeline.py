"""A numpy signal pipeline: load a block of sensor channels, clean, filter, transform, summarise.

The vibration-monitoring job of a Pi on a machine: each step makes a new array from the previous
one (`x = f(x)`), the pattern where releasing the old array early lets numpy reuse its memory.
Optional: without numpy it prints that it was skipped, identically under every configuration.

    numpy_pipeline.py [--scale F] [--samples N] [--channels C] [--seed S]
"""

from workload_support import arguments, checksum, mark, scaled


def pipeline(np, samples, channels, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(channels, samples))
    x = x + np.sin(np.linspace(0, 200 * np.pi, samples))[None, :] * 3.0
    x = x - x.mean(axis=1, keepdims=True)
    x = x / x.std(axis=1, keepdims=True)
    x = np.clip(x, -4.0, 4.0)
    kernel = np.hanning(31)
    kernel = kernel / kernel.sum()
    x = np.stack([np.convolve(row, kernel, mode="same") for row in x])
    spectrum = np.abs(np.fft.rfft(x, axis=1))
    peaks = spectrum.argmax(axis=1)
    energy = (x * x).sum(axis=1)
    x = x[:, ::4] * 0.5
    return [int(p) for p in peaks], [round(float(e), 3) for e in energy], round(float(x.sum()), 6)


def main():
    args = arguments(__doc__.splitlines()[0], samples=600_000, channels=8).parse_args()
    try:
        import numpy as np
    except ImportError:
        print("numpy is not installed: skipped (apt-get install python3-numpy)")
        return
    peaks, energy, total = pipeline(np, scaled(args.samples, args.scale, minimum=1024), args.channels, args.seed)
    mark("retained")
    print(f"{len(peaks)} channels, peak bins {peaks[:3]}, checksum {checksum((peaks, energy, total))}")


if __name__ == "__main__":
    main()
