"""The dealer graph with networkx: outlets as nodes, ties as weighted edges, its clusters
(greedy modularity communities) and each outlet's centrality."""

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

# Exact betweenness costs one shortest-path search per outlet (O(n·m)); above this many outlets
# with a tie it is estimated from this many sampled sources (networkx's k, seeded: repeatable).
EXACT_BETWEENNESS_UP_TO = 2_000
BETWEENNESS_SOURCES = 500


@dataclass(frozen=True)
class Tie:
    first: int  # dealer ids, first < second
    second: int
    kind: str
    weight: float


def dealer_graph(outlets: Iterable[int], ties: Iterable[Tie]) -> nx.Graph:
    """The outlets and their ties among them; two ties of a pair (a parent that also overlaps
    its secondary) make one edge whose weight is their sum. ``distance`` = 1 / weight, so a
    strong tie is a short path for betweenness."""
    graph = nx.Graph()
    graph.add_nodes_from(outlets)
    for tie in ties:
        if tie.first not in graph or tie.second not in graph:
            continue
        if graph.has_edge(tie.first, tie.second):
            graph[tie.first][tie.second]["weight"] += tie.weight
        else:
            graph.add_edge(tie.first, tie.second, weight=tie.weight)
    for _a, _b, data in graph.edges(data=True):
        data["distance"] = 1 / data["weight"]
    return graph


@dataclass(frozen=True)
class Analysis:
    clusters: list[list[int]]  # communities of two or more outlets, the largest first
    modularity: float | None
    betweenness: dict[int, float]
    strength: dict[int, float]
    sources: int | None  # None: exact betweenness


def graph_analysis(graph: nx.Graph) -> Analysis:
    """Clusters and centrality. Outlets with no tie are left out of both searches (each would
    be a cluster of one, with no path through it), which keeps the national graph quick."""
    tied = graph.subgraph([node for node, degree in graph.degree() if degree > 0])
    communities: list[list[int]] = []
    modularity = None
    if tied.number_of_edges():
        found = nx.community.greedy_modularity_communities(tied, weight="weight")
        modularity = nx.community.modularity(tied, found, weight="weight")
        communities = sorted((sorted(members) for members in found), key=lambda members: (-len(members), members[0]))
    sources = None if len(tied) <= EXACT_BETWEENNESS_UP_TO else BETWEENNESS_SOURCES
    # Not normalised: the pairs of outlets linked through each (networkx halves an undirected
    # graph's count, and scales a sampled estimate up to all sources).
    between = {}
    if len(tied):
        between = nx.betweenness_centrality(tied, k=sources, weight="distance", normalized=False, seed=0)
    betweenness = {node: between.get(node, 0.0) for node in graph}
    strength = dict(graph.degree(weight="weight"))
    return Analysis(
        clusters=[members for members in communities if len(members) >= 2],
        modularity=modularity,
        betweenness=betweenness,
        strength=strength,
        sources=sources,
    )
