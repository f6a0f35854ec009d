# rule: inspect.currentframe
import inspect


def report():
    table = [n for n in range(1000)]
    size = len(table)
    return size, inspect.currentframe().f_locals.get("table")


size, table = report()
print("OK" if table is not None and len(table) == size else "BROKEN")
