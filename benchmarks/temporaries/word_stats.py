"""Word statistics for a book, chapter by chapter: the chapter's text, its words, their normalised
forms, the chapter's counts merged into the book's; then the book's vocabulary report.

Each chapter's text and word lists are dead once merged, yet stay bound while the next chapter is
read and split.

    word_stats.py [--scale F] [--chapters C] [--words N] [--seed S]
"""

import random
import string
from collections import Counter

from workload_support import arguments, checksum, mark


def vocabulary(rng, size):
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 11))))
    return sorted(words)


def chapter_text(rng, words, weights, count):
    body = rng.choices(words, weights, k=count)
    return " ".join(w.capitalize() + "," if n % 17 == 0 else w for n, w in enumerate(body))


def main():
    args = arguments(__doc__.splitlines()[0], chapters=10, words=400000).parse_args()
    rng = random.Random(args.seed)
    words = vocabulary(rng, 30000)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    book = Counter()
    lengths = []
    for chapter in range(args.chapters):
        text = chapter_text(rng, words, weights, int(args.words * args.scale) + 10)
        tokens = text.split()
        normalised = [t.strip(",").lower() for t in tokens]
        counts = Counter(normalised)
        book.update(counts)
        lengths.append((chapter, len(tokens), len(counts)))
    report = (book.most_common(20), len(book), sum(book.values()), lengths)
    mark("retained")
    print(f"{report[1]} distinct words, {report[2]} words, checksum {checksum(report)}")


if __name__ == "__main__":
    main()
