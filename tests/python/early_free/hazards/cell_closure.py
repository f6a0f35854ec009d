# rules: cells
def make():
    data = [n for n in range(1000)]

    def total():
        return sum(data)

    size = len(data)
    work = [size] * 10
    return total, len(work)


total, n = make()
try:
    print("OK" if total() == 499500 and n == 10 else "BROKEN")
except NameError as e:
    print("BROKEN:", e)
