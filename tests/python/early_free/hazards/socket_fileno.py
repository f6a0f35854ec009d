# rules: plain-data, handles  (socket() is not plain data; fileno() is a handle of it)
import os
import socket


def work():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fd = sock.fileno()
    filler = [bytes(1000) for _ in range(1000)]
    mode = os.fstat(fd).st_mode
    return len(filler), mode


try:
    n, mode = work()
    print("OK" if n == 1000 and mode else "BROKEN")
except OSError as e:
    print("BROKEN:", e)
