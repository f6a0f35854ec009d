# rules: handles  (an array is plain data, but buffer_info()'s address does not keep it alive)
import array
import ctypes


def work():
    numbers = array.array("d", [1.5] * 1024)
    address, count = numbers.buffer_info()
    size = count * numbers.itemsize
    churn = [array.array("d", [7.0] * 1024) for _ in range(100)]
    return ctypes.string_at(address, size), len(churn)


data, n = work()
expected = array.array("d", [1.5] * 1024).tobytes()
print("OK" if data == expected and n == 100 else "BROKEN: the array was freed while its address was in use")
