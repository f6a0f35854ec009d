"""Programs whose output must not change when early freeing rewrites them: tracebacks, sys.exc_info,
generators resumed (and thrown into, and closed) after a release, exceptions raised between a last
use and the end of a statement, `del` of a name the rewriter released, global and nonlocal.

tests/python/test_early_free.py runs this file under python3.11 and under shrinkpython (safe and
aggressive) and compares stdout and stderr byte for byte; RELEASED lists, per function, what the
safe rewriter must release here, so that the comparison is not vacuous.
"""

import sys
import traceback


def load(n):
    return [str(i) * 3 for i in range(n)]


def fail_inside(data):
    raise ValueError(f"bad row {len(data)}")


def traceback_through_releases(n):
    rows = load(n)
    count = len(rows)
    return fail_inside(rows[:count])  # rows released before the call; the traceback is unchanged


def show_exc_info():
    kind, value, tb = sys.exc_info()
    return f"{kind.__name__}: {value} at line {tb.tb_lineno}"


def exc_info_after_release(n):
    rows = load(n)
    size = len(rows)
    try:
        raise KeyError(size)
    except KeyError:
        return show_exc_info()


def generator(n):
    rows = load(n)
    total = sum(len(r) for r in rows)
    yield total
    more = load(n * 2)
    try:
        yield len(more)
    finally:
        print("generator finally ran")
    yield "never"


def exception_between_use_and_release(n):
    rows = load(n)
    try:
        result = int(rows[0] + "x")  # raises after the last use of rows
    except ValueError:
        result = -1
    return result


def handler_reads_it(n):
    rows = load(n)
    try:
        return int("x" + rows[-1])
    except ValueError:
        return len(rows)  # live in the handler: not released before the try


def user_del(n, flag):
    rows = load(n)
    size = len(rows)
    if flag:
        del rows
    else:
        rows = None
    return size, "rows" in dir()  # dir() reads the frame: this function is skipped


def user_del_of_released(n):
    rows = load(n)
    size = len(rows)
    other = load(size)
    del rows  # a use: the rewriter must not have released rows before it
    return size + len(other)


TOTAL = []


def uses_global(n):
    global TOTAL
    TOTAL = load(n)
    count = len(TOTAL)
    TOTAL = TOTAL[:2]
    return count


def uses_nonlocal(n):
    seen = 0
    rows = load(n)

    def bump():
        nonlocal seen
        seen += len(rows)
        return seen

    first = bump()
    second = bump()
    return first, second, seen


def main():
    try:
        traceback_through_releases(5)
    except ValueError:
        traceback.print_exc()
    print(exc_info_after_release(4))
    g = generator(3)
    print(next(g), next(g))
    g.close()
    g = generator(2)
    print(next(g))
    try:
        g.throw(RuntimeError("thrown after a release"))
    except RuntimeError as e:
        print("caught", e)
    g = generator(2)
    print(next(g), next(g))
    try:
        g.throw(KeyError("into the try"))
    except KeyError as e:
        print("caught", e)
    print(exception_between_use_and_release(3))
    print(handler_reads_it(3))
    print(user_del(3, True), user_del(3, False))
    print(user_del_of_released(4))
    print(uses_global(5), TOTAL)
    print(uses_nonlocal(3))
    traceback_through_releases(2)  # uncaught: the interpreter prints the traceback


RELEASED = {
    "traceback_through_releases": {"rows", "count"},
    "exc_info_after_release": {"rows"},
    "generator": {"rows", "more"},
    "exception_between_use_and_release": {"rows"},
    "user_del_of_released": {"size", "other"},
}

if __name__ == "__main__":
    main()
