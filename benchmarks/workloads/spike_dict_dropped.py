"""A 1M-entry int -> str dict, summarised, then dropped entirely: the RSS after it should be what it was before.

    spike_dict_dropped.py [--scale F] [--entries N] [--seed S]
"""

from spike_support import dict_spike

if __name__ == "__main__":
    dict_spike(__doc__.splitlines()[0], "none")
