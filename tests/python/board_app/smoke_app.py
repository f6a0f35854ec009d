"""The app of the trimmed interpreter's smoke suite (`shrinkpy build --app`): json, re, collections
and asyncio, a module of its own, a function-level import, and an import whose name is computed at
run time (only a traced run can see it). It prints the same lines under any Python 3.11."""

import asyncio
import collections
import importlib
import json
import re
import sys

import smoke_helper


def word_counts(text):
    import textwrap  # function-level: the static closure of the app must follow it

    words = re.findall(r"[a-z]+", textwrap.dedent(text).lower())
    return collections.Counter(words).most_common(3)


async def gather_squares(n):
    async def square(i):
        await asyncio.sleep(0)
        return i * i

    return await asyncio.gather(*(square(i) for i in range(n)))


def main():
    print(json.dumps({"counts": word_counts("The cat and the hat and the bat"), "argv": sys.argv[1:]}, sort_keys=True))
    print(sum(asyncio.run(gather_squares(20))))
    print(smoke_helper.checksum(range(1000)))
    computed = "color" + "sys"
    print(importlib.import_module(computed).rgb_to_hsv(0.2, 0.4, 0.4))


if __name__ == "__main__":
    main()
