"""shrinkpy: make unmodified CPython 3.11 programs fit on small boards.

The command line is `shrinkpy` (shrinkpy.cli); the drop-in interpreter is `shrinkpython`.
"""

__version__ = "0.1.0"
