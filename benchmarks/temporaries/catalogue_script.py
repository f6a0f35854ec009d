"""A script that does all its work at module level, in two phases: build a price list from the
supplier's catalogue, then a stock summary from the warehouse dump, then serve lookups from the two
small results for the rest of its life.

No functions, so every intermediate is a module global of __main__ and lives until the program
ends: early freeing releases them after their last use.

    catalogue_script.py [--scale F] [--items N] [--seed S]
"""

import random
import statistics

from workload_support import arguments, checksum, mark

args = arguments(__doc__.splitlines()[0], items=120000).parse_args()
rng = random.Random(args.seed)
count = int(args.items * args.scale)

# Phase 1: the supplier's catalogue -> a median price per category.
catalogue_text = "\n".join(f"{n};item {n};{rng.choice(['tools', 'garden', 'kitchen', 'toys', 'books'])};"
                           f"{rng.uniform(1, 500):.2f}" for n in range(count))
catalogue = [line.split(";") for line in catalogue_text.splitlines()]
prices = {}
for item in catalogue:
    prices.setdefault(item[2], []).append(float(item[3]))
price_list = {category: round(statistics.median(values), 2) for category, values in sorted(prices.items())}

# Phase 2: the warehouse dump -> how many items each shelf row holds.
dump_text = "\n".join(f"{n},{rng.randrange(40)},{rng.randrange(12)},{rng.randint(0, 80)}" for n in range(count * 2))
stock = [tuple(int(v) for v in line.split(",")) for line in dump_text.splitlines()]
per_row = {}
for item_id, aisle, row, quantity in stock:
    per_row[(aisle, row)] = per_row.get((aisle, row), 0) + quantity

mark("retained")

# Serving: many lookups against the two small results only.
total = 0.0
for n in range(300000):
    total += price_list[("tools", "garden", "kitchen", "toys", "books")[n % 5]] + per_row[(n % 40, n % 12)]

print(f"{count} items, {len(per_row)} shelf rows, checksum {checksum((price_list, round(total, 2)))}")
