# rules: locals
def report():
    table = {n: n * n for n in range(1000)}
    size = len(table)
    return size, locals()["table"][31]
print("OK" if report() == (1000, 961) else "BROKEN")
