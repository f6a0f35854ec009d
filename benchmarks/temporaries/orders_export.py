"""Nightly JSON-to-CSV export of a shop's API dumps: the orders document, then the customers
document, each loaded, flattened into rows, written as CSV.

Each export's JSON text, parsed document and rows are dead once its CSV is written, but a function
that does both exports keeps them all until it returns.

    orders_export.py [--scale F] [--orders N] [--seed S]
"""

import csv
import io
import json
import os
import random

from workload_support import arguments, checksum, mark

CITIES = ("Athens", "Leuven", "Eindhoven", "Patras", "Ghent", "Delft", "Volos", "Namur")


def orders_document(orders, rng):
    return json.dumps({"orders": [
        {"id": f"ORD-{n:07d}", "status": rng.choice(("paid", "shipped", "returned")),
         "items": [{"sku": f"SKU-{rng.randrange(5000):05d}", "qty": rng.randint(1, 5),
                    "price": round(rng.uniform(1, 250), 2)} for _ in range(rng.randint(1, 6))]}
        for n in range(orders)]})


def customers_document(customers, rng):
    return json.dumps({"customers": [
        {"id": n, "name": f"customer {n}", "email": f"c{n}@example.org",
         "address": {"city": rng.choice(CITIES), "zip": f"{rng.randrange(1000, 99999):05d}"},
         "tags": rng.sample(("vip", "b2b", "newsletter", "eco", "late"), rng.randint(0, 3))}
        for n in range(customers)]})


def to_csv(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write(text):
    with open(os.devnull, "w") as f:
        f.write(text)
    return len(text)


def main():
    args = arguments(__doc__.splitlines()[0], orders=40000).parse_args()
    n = int(args.orders * args.scale)
    rng = random.Random(args.seed)

    orders_json = orders_document(n, rng)
    orders = json.loads(orders_json)["orders"]
    order_rows = [[o["id"], o["status"], item["sku"], item["qty"], f"{item['qty'] * item['price']:.2f}"]
                  for o in orders for item in o["items"]]
    orders_csv = to_csv(["order", "status", "sku", "qty", "total"], order_rows)
    orders_written = write(orders_csv)

    customers_json = customers_document(n, rng)
    customers = json.loads(customers_json)["customers"]
    customer_rows = [[c["id"], c["name"], c["email"], c["address"]["city"], c["address"]["zip"], "|".join(c["tags"])]
                     for c in customers]
    customers_csv = to_csv(["id", "name", "email", "city", "zip", "tags"], customer_rows)
    customers_written = write(customers_csv)

    mark("retained")
    print(f"{orders_written + customers_written} CSV bytes, checksum {checksum((orders_written, customers_written))}")


if __name__ == "__main__":
    main()
