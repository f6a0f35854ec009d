# rules: plain-data  (SharedMemory() is not plain data; shm.buf dies with it)
from multiprocessing import shared_memory


def work():
    shm = shared_memory.SharedMemory(create=True, size=64)
    name = shm.name
    buf = shm.buf
    buf[0] = 42
    total = buf[0] + 1
    buf.release()
    s = shared_memory.SharedMemory(name=name)
    s.close()
    s.unlink()
    return total


try:
    print("OK" if work() == 43 else "BROKEN")
except (ValueError, TypeError) as e:
    print("BROKEN:", e)
