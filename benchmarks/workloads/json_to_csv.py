"""Convert a large JSON export of orders to CSV: load the document, flatten every nested order
into rows, write the CSV, print its size and a checksum.

What an export job on a small gateway does: the shop's API dumps a day of orders as one JSON
document; the job flattens it for a spreadsheet. The document is generated from a fixed seed.

    json_to_csv.py [--scale F] [--orders N] [--seed S]
"""

import csv
import io
import json
import random

from workload_support import arguments, checksum, mark, scaled

PRODUCTS = [f"SKU-{n:05d}" for n in range(2000)]
CITIES = ["Athens", "Leuven", "Eindhoven", "Patras", "Ghent", "Delft", "Volos", "Namur"]


def export_document(orders, seed):
    """The API's JSON export: orders with a customer, an address and a list of items."""
    rng = random.Random(seed)
    doc = {"exported": "2026-11-23T00:00:00Z", "orders": []}
    for n in range(orders):
        items = [{"sku": rng.choice(PRODUCTS), "qty": rng.randint(1, 5), "price": round(rng.uniform(1, 250), 2),
                  "tags": rng.sample(["gift", "fragile", "bulk", "promo", "eco"], rng.randint(0, 2))}
                 for _ in range(rng.randint(1, 6))]
        doc["orders"].append({
            "id": f"ORD-{n:07d}",
            "customer": {"id": rng.randint(1, orders // 3 + 1), "name": f"customer {rng.randint(1, 99999)}",
                         "address": {"city": rng.choice(CITIES), "zip": f"{rng.randint(1000, 99999):05d}"}},
            "status": rng.choice(["paid", "shipped", "returned", "pending"]),
            "items": items,
        })
    return json.dumps(doc)


def flatten(document):
    orders = json.loads(document)["orders"]
    rows = []
    for order in orders:
        customer = order["customer"]
        for item in order["items"]:
            rows.append([order["id"], order["status"], customer["id"], customer["address"]["city"],
                         customer["address"]["zip"], item["sku"], item["qty"], f"{item['price']:.2f}",
                         "|".join(item["tags"]), f"{item['qty'] * item['price']:.2f}"])
    return rows


def to_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["order", "status", "customer", "city", "zip", "sku", "qty", "price", "tags", "total"])
    writer.writerows(rows)
    return out.getvalue()


def convert(orders, seed):
    document = export_document(orders, seed)
    rows = flatten(document)
    text = to_csv(rows)
    return len(document), len(rows), checksum(text), text.count("returned")


def main():
    args = arguments(__doc__.splitlines()[0], orders=30000).parse_args()
    doc_bytes, rows, digest, returned = convert(scaled(args.orders, args.scale), args.seed)
    mark("retained")
    print(f"{doc_bytes} JSON bytes, {rows} CSV rows, {returned} returned lines, checksum {digest}")


if __name__ == "__main__":
    main()
