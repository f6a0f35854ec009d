# rules: plain-data  (HeldLock() is not plain data: a type with __del__, like filelock's locks)
released = []


class HeldLock:
    """Releases on deletion, like filelock's BaseFileLock.__del__."""

    def __init__(self, name):
        self.name = name

    def __del__(self):
        released.append(self.name)


def critical_section():
    lock = HeldLock("db")
    owner = lock.name
    still_held = not released
    work = [owner * 2 for _ in range(100)]
    still_held = still_held and not released
    return still_held, len(work)


held, n = critical_section()
print("OK" if held and n == 100 else "BROKEN: the lock was released inside its critical section")
