"""Fannkuch-redux (pyperformance's fannkuch): list slicing, reversal and swaps of small permutations
in nested loops.

    fannkuch.py [--scale F] [--n N] [--rounds R]
"""

from workload_support import arguments, checksum


def fannkuch(n):
    count = list(range(1, n + 1))
    max_flips = 0
    m = n - 1
    r = n
    check = 0
    perm1 = list(range(n))
    perm = list(range(n))
    perm1_ins = perm1.insert
    perm1_pop = perm1.pop
    while 1:
        if check < 30:
            check += 1
        while r != 1:
            count[r - 1] = r
            r -= 1
        if perm1[0] != 0 and perm1[m] != m:
            perm = perm1[:]
            flips_count = 0
            k = perm[0]
            while k:
                perm[:k + 1] = perm[k::-1]
                flips_count += 1
                k = perm[0]
            if flips_count > max_flips:
                max_flips = flips_count
        while r != n:
            perm1_ins(r, perm1_pop(0))
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        else:
            return max_flips


def main():
    args = arguments(__doc__.splitlines()[0], n=9, rounds=3).parse_args()
    n = args.n if args.scale >= 1 else 7
    flips = [fannkuch(n) for _ in range(args.rounds)][-1]
    print(f"fannkuch({n}) = {flips}, checksum {checksum(flips)}")


if __name__ == "__main__":
    main()
