# rules: breakpoint
import sys

seen = []
sys.breakpointhook = lambda: seen.append(sys._getframe(1).f_locals.get("table"))


def report():
    table = [n for n in range(1000)]
    size = len(table)
    breakpoint()
    return size


report()
print("OK" if seen and seen[0] is not None and len(seen[0]) == 1000 else "BROKEN")
