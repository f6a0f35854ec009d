# rule: eval
def report():
    table = [n * 3 for n in range(1000)]
    size = len(table)
    return size + eval("table[2]")
print("OK" if report() == 1006 else "BROKEN")
