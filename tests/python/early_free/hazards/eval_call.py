# rules: eval
# (eval anywhere in a module makes its builtins unknown to the analysis, so the list is built
# without them: [3] * 1000 is plain data whatever `range` or `list` might be rebound to.)
def report():
    table = [3] * 1000
    size = len(table)
    return size + eval("table[2]")
print("OK" if report() == 1003 else "BROKEN")
