# rule: exec
def report():
    table = [n * 3 for n in range(1000)]
    size = len(table)
    out = {}
    exec("out['x'] = table[3]")
    return size + out["x"]
print("OK" if report() == 1009 else "BROKEN")
