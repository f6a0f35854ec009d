"""A month-end business report from three exports: sales (CSV), stock levels (JSON) and support
tickets (CSV). Each export is read whole, parsed into records, summarised, and only its summary is
used again.

The shape of many report scripts: one stage after another in one function, each leaving a large
parsed structure bound to a name that nothing reads again until the function returns.

    sales_report.py [--scale F] [--rows N] [--seed S]
"""

import csv
import io
import json
import random

from workload_support import arguments, checksum, mark

REGIONS = ("north", "south", "east", "west", "centre")


def sales_export(rows, rng):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "store", "region", "product", "qty", "unit_price"])
    for n in range(rows):
        writer.writerow([f"2026-11-{1 + n % 30:02d}", f"S{rng.randrange(300):03d}", rng.choice(REGIONS),
                         f"P{rng.randrange(2000):04d}", rng.randint(1, 12), f"{rng.uniform(0.5, 80):.2f}"])
    return out.getvalue()


def stock_export(items, rng):
    return json.dumps([{"sku": f"P{n:04d}", "store": f"S{rng.randrange(300):03d}", "on_hand": rng.randint(0, 500),
                        "history": [rng.randint(0, 50) for _ in range(30)]} for n in range(items)])


def ticket_export(rows, rng):
    lines = ["id,store,category,minutes,text"]
    for n in range(rows):
        lines.append(f"{n},S{rng.randrange(300):03d},{rng.choice(('till', 'stock', 'staff', 'web'))},"
                     f"{rng.randint(1, 240)},{'customer reports ' * rng.randint(1, 6)}")
    return "\n".join(lines)


def parse_sales(text):
    return [{"store": r[1], "region": r[2], "product": r[3], "amount": int(r[4]) * float(r[5])}
            for r in csv.reader(io.StringIO(text)) if r[0] != "date"]


def parse_tickets(text):
    return [dict(zip(("id", "store", "category", "minutes", "text"), line.split(",")))
            for line in text.splitlines()[1:]]


def sales_by_region(sales):
    totals = {}
    for sale in sales:
        totals[sale["region"]] = totals.get(sale["region"], 0.0) + sale["amount"]
    return {region: round(total, 2) for region, total in sorted(totals.items())}


def low_stock(items):
    return sorted(i["sku"] for i in items if i["on_hand"] < sum(i["history"]) / 30 * 7)[:50]


def ticket_minutes(tickets):
    minutes = {}
    for t in tickets:
        minutes[t["category"]] = minutes.get(t["category"], 0) + int(t["minutes"])
    return sorted(minutes.items())


def main():
    args = arguments(__doc__.splitlines()[0], rows=120000).parse_args()
    n = int(args.rows * args.scale)
    rng = random.Random(args.seed)
    sales = parse_sales(sales_export(n, rng))
    regions = sales_by_region(sales)
    stock = json.loads(stock_export(n // 4, rng))
    reorder = low_stock(stock)
    tickets = parse_tickets(ticket_export(n, rng))
    support = ticket_minutes(tickets)
    mark("retained")
    print(f"{len(regions)} regions, {len(reorder)} low-stock items, {len(support)} ticket categories, "
          f"checksum {checksum((regions, reorder, support))}")


if __name__ == "__main__":
    main()
