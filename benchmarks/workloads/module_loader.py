"""A script that does its work at module level: load a catalogue, build lookup tables, derive a
small price list, then spend the rest of its life serving lookups from that small result.

Many Pi scripts look like this: no functions, every intermediate a module global, so every big
intermediate stays alive until the program ends. (Early freeing releases them after their last use.)

    module_loader.py [--scale F] [--items N] [--seed S]
"""

import random
import statistics

from workload_support import arguments, checksum, mark, scaled

args = arguments(__doc__.splitlines()[0], items=150000).parse_args()
rng = random.Random(args.seed)
count = scaled(args.items, args.scale)

# Load: the raw catalogue as the supplier sends it.
raw = "\n".join(f"{n};item {n};{rng.choice(['tools', 'garden', 'kitchen', 'toys', 'books'])};"
                f"{rng.uniform(1, 500):.2f};{rng.randint(0, 40)}" for n in range(count))

# Parse into records.
records = [line.split(";") for line in raw.splitlines()]
catalogue = [{"id": int(r[0]), "name": r[1], "category": r[2], "price": float(r[3]), "stock": int(r[4])}
             for r in records]

# Derived tables.
by_category = {}
for item in catalogue:
    by_category.setdefault(item["category"], []).append(item)
in_stock = [item for item in catalogue if item["stock"] > 0]

# The small result the rest of the script uses.
price_list = {category: round(statistics.median(i["price"] for i in items), 2)
              for category, items in sorted(by_category.items())}
available = len(in_stock)

mark("retained")

# Serving: many lookups against the small result only.
total = 0.0
for n in range(200000):
    total += price_list[("tools", "garden", "kitchen", "toys", "books")[n % 5]]

print(f"{count} items, {available} in stock, {len(price_list)} categories, checksum {checksum((price_list, round(total, 2)))}")
