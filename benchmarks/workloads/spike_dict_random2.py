"""A 1M-entry int -> str dict, summarised, then dropped, 2% of the values kept at random: survivors scattered over the heap.

    spike_dict_random2.py [--scale F] [--entries N] [--seed S]
"""

from spike_support import dict_spike

if __name__ == "__main__":
    dict_spike(__doc__.splitlines()[0], "random2")
