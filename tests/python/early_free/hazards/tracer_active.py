# rules: tracer
import sys

snapshots = []


def tracer(frame, event, arg):
    if frame.f_code.co_name == "report" and event == "return":
        snapshots.append(sorted(frame.f_locals))
    return tracer


def report():
    table = [n for n in range(1000)]
    size = len(table)
    return size


sys.settrace(tracer)
report()
sys.settrace(None)
print("OK" if snapshots == [["size", "table"]] else "BROKEN " + repr(snapshots))
