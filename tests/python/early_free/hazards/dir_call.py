# rules: dir
def report():
    table = [n for n in range(1000)]
    size = len(table)
    return size, dir()


size, names = report()
print("OK" if "table" in names and size == 1000 else "BROKEN " + repr(names))
