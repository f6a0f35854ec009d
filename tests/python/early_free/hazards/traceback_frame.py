# rules: frames
import sys


def report():
    table = [n for n in range(1000)]
    size = len(table)
    try:
        raise ValueError(size)
    except ValueError:
        return sys.exc_info()[2].tb_frame.f_locals.get("table")


table = report()
print("OK" if table is not None and len(table) == 1000 else "BROKEN")
