# rules: plain-data  (TemporaryDirectory() is not plain data; its finalizer removes the directory)
import gc
import os
import tempfile


def work():
    workspace = tempfile.TemporaryDirectory()
    path = workspace.name
    gc.collect()
    with open(os.path.join(path, "data.txt"), "w") as f:
        f.write("kept")
    with open(os.path.join(path, "data.txt")) as f:
        return f.read()


try:
    print("OK" if work() == "kept" else "BROKEN")
except FileNotFoundError:
    print("BROKEN: the directory was removed while its path was in use")
