# rules: plain-data, handles  (create_string_buffer is not plain data; addressof() is a handle of it)
import ctypes


def work():
    buf = ctypes.create_string_buffer(b"x" * 4000)
    address = ctypes.addressof(buf)
    churn = [ctypes.create_string_buffer(b"y" * 4000) for _ in range(200)]
    return ctypes.string_at(address, 4000), len(churn)


data, n = work()
print("OK" if data == b"x" * 4000 and n == 200 else "BROKEN: the buffer was freed while its address was in use")
