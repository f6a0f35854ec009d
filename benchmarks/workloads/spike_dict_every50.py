"""A 1M-entry int -> str dict, summarised, then dropped, every 50th value kept: survivors spread evenly over the heap.

    spike_dict_every50.py [--scale F] [--entries N] [--seed S]
"""

from spike_support import dict_spike

if __name__ == "__main__":
    dict_spike(__doc__.splitlines()[0], "every50")
