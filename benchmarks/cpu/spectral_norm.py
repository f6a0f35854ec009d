"""Spectral norm (pyperformance's spectral_norm): function calls and generator expressions over
float lists.

    spectral_norm.py [--scale F] [--n N]
"""

from workload_support import arguments, checksum


def eval_a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def part_times_u(i, u, transposed):
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += (eval_a(j, i) if transposed else eval_a(i, j)) * u_j
    return partial_sum


def eval_times_u(u, transposed):
    return [part_times_u(i, u, transposed) for i in range(len(u))]


def eval_ata_times_u(u):
    return eval_times_u(eval_times_u(u, False), True)


def main():
    args = arguments(__doc__.splitlines()[0], n=500).parse_args()
    n = max(20, int(args.n * args.scale))
    u = [1] * n
    for _ in range(10):
        v = eval_ata_times_u(u)
        u = eval_ata_times_u(v)
    vbv = sum(ue * ve for ue, ve in zip(u, v))
    vv = sum(ve * ve for ve in v)
    print(f"spectral norm {(vbv / vv) ** 0.5:.9f}, checksum {checksum(round(vbv / vv, 9))}")


if __name__ == "__main__":
    main()
