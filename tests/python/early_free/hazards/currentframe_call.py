# rules: currentframe
import inspect


def peek(frame):
    return frame.f_locals.get("table")


def report():
    table = [n for n in range(1000)]
    size = len(table)
    return size, peek(inspect.currentframe())


size, table = report()
print("OK" if table is not None and len(table) == size else "BROKEN")
