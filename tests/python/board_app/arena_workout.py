"""The arena under CPython's own allocation patterns, at whatever page size this interpreter sees: run
on a board's interpreter by test_trimmed_interpreter.py (under qemu-aarch64 with the board's pages:
16 KiB for rpi5), with the arena's validators (`_shrinkpy_alloc.verify`) after every phase. Prints
one JSON line: the page sizes seen, the problems found, and the live pages before and after a drop."""

import gc
import json
import os
import threading

import _shrinkpy_alloc as alloc

problems = []


def check(phase):
    problem = alloc.verify()
    if problem is not None:
        problems.append(f"{phase}: {problem}")


arena = json.loads(alloc.stats_json())["arena"]
check("start")

# A spike of small blocks (ints, 9-character strs, a dict's table), one value in 50 kept.
table = {i: f"{i:09d}" for i in range(100_000)}
kept = [table[i] for i in range(0, len(table), 50)]
check("spike")
live_before = alloc.census()["live_pages"]
del table
gc.collect()
check("dropped")
live_after = alloc.census()["live_pages"]

# Medium and large blocks on both sides of the page size, grown and cut down in place or moved.
chunks = [bytearray(n) for n in (700, 3_000, 9_000, 20_000, 70_000, 300_000)]
for chunk in chunks:
    chunk.extend(b"x" * len(chunk))
    del chunk[len(chunk) // 3:]
text = ""
for i in range(20_000):
    text += "ab"
check("medium and large")


# Threads: the RAW domain from several of them (thread states, their frames), blocks freed by
# another thread than the one that allocated them.
def replace(shared, n):
    for i in range(3_000):
        shared[(i * 7 + n) % len(shared)] = bytes(i % 300)


shared = [b""] * 500
workers = [threading.Thread(target=replace, args=(shared, n)) for n in range(4)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
del shared, chunks, text
gc.collect()
check("threads")

print(json.dumps({"os_page": os.sysconf("SC_PAGESIZE"), "arena_page": arena["page_size"], "problems": problems,
                  "live_pages_before_drop": live_before, "live_pages_after_drop": live_after, "kept": len(kept)}))
