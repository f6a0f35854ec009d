"""Route planning over a generated road network: shortest paths from several depots, reachability,
and connected components.

A delivery robot's planner on a Pi: the map is a sparse weighted graph with a grid-like backbone
plus random shortcuts, generated from a fixed seed.

    graph_search.py [--scale F] [--nodes N] [--seed S]
"""

import heapq
import random
from collections import deque

from workload_support import arguments, checksum, mark, scaled


def road_network(nodes, seed):
    rng = random.Random(seed)
    width = max(2, int(nodes ** 0.5))
    graph = {n: [] for n in range(nodes)}

    def connect(a, b, w):
        graph[a].append((b, w))
        graph[b].append((a, w))

    for n in range(nodes):
        if (n + 1) % width and n + 1 < nodes and rng.random() < 0.9:
            connect(n, n + 1, rng.randint(1, 20))
        if n + width < nodes and rng.random() < 0.9:
            connect(n, n + width, rng.randint(1, 20))
    for _ in range(nodes // 10):
        connect(rng.randrange(nodes), rng.randrange(nodes), rng.randint(5, 60))
    return graph


def dijkstra(graph, source):
    dist = {source: 0}
    queue = [(0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > dist[node]:
            continue
        for neighbour, w in graph[node]:
            nd = d + w
            if nd < dist.get(neighbour, float("inf")):
                dist[neighbour] = nd
                heapq.heappush(queue, (nd, neighbour))
    return dist


def components(graph):
    seen, sizes = set(), []
    for start in graph:
        if start in seen:
            continue
        seen.add(start)
        queue, size = deque([start]), 0
        while queue:
            node = queue.popleft()
            size += 1
            for neighbour, _ in graph[node]:
                if neighbour not in seen:
                    seen.add(neighbour)
                    queue.append(neighbour)
        sizes.append(size)
    return sorted(sizes, reverse=True)


def plan(nodes, seed):
    graph = road_network(nodes, seed)
    depots = random.Random(seed + 1).sample(range(nodes), 4)
    routes = []
    for depot in depots:
        dist = dijkstra(graph, depot)
        farthest = max(dist, key=lambda n: (dist[n], -n))
        routes.append((depot, len(dist), farthest, dist[farthest], sum(dist.values()) % 1_000_003))
    return routes, components(graph)[:5]


def main():
    args = arguments(__doc__.splitlines()[0], nodes=80000).parse_args()
    routes, biggest = plan(scaled(args.nodes, args.scale, minimum=100), args.seed)
    mark("retained")
    print(f"{len(routes)} depots, largest component {biggest[0]}, checksum {checksum((routes, biggest))}")


if __name__ == "__main__":
    main()
