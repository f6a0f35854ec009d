# rules: vars
def report():
    table = [n * 3 for n in range(1000)]
    size = len(table)
    return size, vars()["table"][7]
print("OK" if report() == (1000, 21) else "BROKEN")
