# rules: container-taint  (a list is plain data, until a lock with __del__ is put into it)
released = []


class HeldLock:
    """Releases on deletion, like filelock's BaseFileLock.__del__."""

    def __init__(self, name):
        self.name = name

    def __del__(self):
        released.append(self.name)


def critical_section(names):
    locks = []
    for name in names:
        locks.append(HeldLock(name))
    count = len(locks)
    still_held = not released
    work = [count * 2 for _ in range(100)]
    still_held = still_held and not released
    return still_held, len(work)


held, n = critical_section(["db", "log"])
print("OK" if held and n == 100 else "BROKEN: the locks were released inside their critical section")
