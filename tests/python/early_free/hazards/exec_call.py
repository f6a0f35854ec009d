# rules: exec
# (exec anywhere in a module makes its builtins unknown to the analysis, so the list is built
# without them: [3] * 1000 is plain data whatever `range` or `list` might be rebound to.)
def report():
    table = [3] * 1000
    size = len(table)
    out = {}
    exec("out['x'] = table[3]")
    return size + out["x"]
print("OK" if report() == 1003 else "BROKEN")
