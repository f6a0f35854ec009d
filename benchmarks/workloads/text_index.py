"""Build a search index over a document collection: tokenise, count, invert, answer top-k queries.

A local search for a wiki or a mail archive on a home server. Documents are generated from a
fixed seed with a Zipf-like vocabulary, so common words are common, as in real text.

    text_index.py [--scale F] [--documents N] [--seed S]
"""

import heapq
import random
import re
from collections import Counter, defaultdict

from workload_support import arguments, checksum, mark, scaled

TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def vocabulary(rng, size):
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words = set()
    while len(words) < size:
        n = rng.randint(2, 10)
        words.add("".join(rng.choice(letters[: 6 + n * 2]) for _ in range(n)))
    return sorted(words)


def documents(count, seed):
    rng = random.Random(seed)
    words = vocabulary(rng, 20000)
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    docs = []
    for n in range(count):
        body = rng.choices(words, cum_weights=cumulative, k=rng.randint(80, 400))
        sentences = [" ".join(body[i:i + 12]).capitalize() + "." for i in range(0, len(body), 12)]
        docs.append(f"Document {n}\n" + " ".join(sentences))
    return docs


def build_index(docs):
    postings = defaultdict(dict)
    totals = Counter()
    for doc_id, text in enumerate(docs):
        counts = Counter(TOKEN.findall(text.lower()))
        totals.update(counts)
        for word, n in counts.items():
            postings[word][doc_id] = n
    return postings, totals


def top_k(postings, query, k=10):
    scores = Counter()
    for word in query:
        docs = postings.get(word, {})
        weight = 1.0 / (1 + len(docs))
        for doc_id, n in docs.items():
            scores[doc_id] += n * weight
    return heapq.nlargest(k, scores.items(), key=lambda item: (item[1], -item[0]))


def index_and_query(count, seed):
    docs = documents(count, seed)
    postings, totals = build_index(docs)
    common = [w for w, _ in totals.most_common(200)]
    rng = random.Random(seed + 1)
    answers = [top_k(postings, rng.sample(common, 3)) for _ in range(50)]
    return len(docs), len(postings), totals.most_common(5), answers


def main():
    args = arguments(__doc__.splitlines()[0], documents=8000).parse_args()
    docs, terms, common, answers = index_and_query(scaled(args.documents, args.scale), args.seed)
    mark("retained")
    print(f"{docs} documents, {terms} terms, most common {common[0][0]!r}, checksum {checksum((common, answers))}")


if __name__ == "__main__":
    main()
