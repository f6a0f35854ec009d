"""A vibration monitor's nightly pass over a block of accelerometer channels with numpy: remove the
offset, normalise, square, smooth, scale to g, threshold, then a spectrum of the cleaned signal.

Each step is `x = f(x)`: the old array is never read again, so once it is released before the
operation numpy computes the new one in place (its temporary elision) instead of holding both.

    signal_steps.py [--scale F] [--samples N] [--channels C] [--seed S]
"""

from workload_support import arguments, checksum, mark


def clean(np, x, gain):
    x = x - x.mean(axis=1, keepdims=True)
    x = x / x.std(axis=1, keepdims=True)
    x = x * gain
    x = np.abs(x)
    x = x ** 1.5
    x = np.minimum(x, 6.0)
    x = x + 0.001
    x = np.log(x)
    return x


def main():
    args = arguments(__doc__.splitlines()[0], samples=1_500_000, channels=8).parse_args()
    try:
        import numpy as np
    except ImportError:
        print("numpy is not installed: skipped (apt-get install python3-numpy)")
        return
    rng = np.random.default_rng(args.seed)
    samples = int(args.samples * args.scale) + 64
    raw = rng.normal(0.5, 2.0, size=(args.channels, samples))
    cleaned = clean(np, raw, 9.81)
    events = (cleaned > 1.5).sum(axis=1)
    level = cleaned.mean(axis=1)
    cleaned = cleaned[:, : samples // 16 * 16].reshape(args.channels, -1, 16).mean(axis=2)
    spectrum = np.abs(np.fft.rfft(cleaned, axis=1))
    peaks = spectrum[:, 1:].argmax(axis=1)
    mark("retained")
    result = ([int(e) for e in events], [round(float(v), 4) for v in level], [int(p) for p in peaks])
    print(f"{len(peaks)} channels, {sum(result[0])} events, checksum {checksum(result)}")


if __name__ == "__main__":
    main()
