"""The households' social network: clustered village ties plus a few long ties.

Households of a region are split into villages (mahallas) of about
``village_size`` consecutive households. Inside a village each household is
tied to its ``k_local`` nearest neighbours on a ring, each tie rewired to a
random villager with probability ``p_rewire`` (the Watts-Strogatz family);
each household also makes ``long_ties`` ties to random households of its
origin country. Duplicate ties and self-ties are dropped.

Two generators of this family: :func:`build_network` draws all ties with
vectorised NumPy from one seeded generator and packs them into a CSR with
numba (millions of households in seconds, the same graph whatever the thread
count); :func:`build_networkx` makes the same family with networkx generators
for small graphs, analysis and the workshop view.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from numba import njit, prange


@dataclass(frozen=True)
class NetworkSpec:
    """Shape of the network (assumptions, see docs/model.md)."""

    village_size: int = 100
    k_local: int = 8
    p_rewire: float = 0.05
    long_ties: int = 1


@dataclass(frozen=True)
class Network:
    """An undirected graph in CSR form: row ``i`` is ``neighbours[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray  # int64 (n + 1,)
    neighbours: np.ndarray  # int32 (2 * edges,)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def to_networkx(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        src = np.repeat(np.arange(self.n), self.degree())
        graph.add_edges_from(zip(src.tolist(), self.neighbours.tolist(), strict=True))
        return graph


def villages(group: np.ndarray, village_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Village start and size of each household.

    A region of ``m`` households is split into ``max(1, rint(m / village_size))``
    villages of near-equal size.

    Parameters
    ----------
    group : ndarray(int, (n,))
        Region of each household; households of a region are consecutive.

    Returns
    -------
    start, size : ndarray(int64, (n,))
    """
    return _villages(np.ascontiguousarray(group), float(village_size))


@njit(cache=True)
def _villages(group, village_size):
    n = group.shape[0]
    start = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int64)
    a = 0
    while a < n:
        b = a
        while b < n and group[b] == group[a]:
            b += 1
        length = b - a
        x = length / village_size
        count = int(np.floor(x))
        rest = x - count
        if rest > 0.5 or (rest == 0.5 and count % 2 == 1):
            count += 1  # round half to even, as numpy.rint
        count = max(1, count)
        for pos in range(length):
            v = pos * count // length
            lo = (v * length + count - 1) // count
            hi = ((v + 1) * length + count - 1) // count
            start[a + pos] = a + lo
            size[a + pos] = hi - lo
        a = b
    return start, size


def _segments(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return villages(group, village_size=2**62)


def build_network(region: np.ndarray, origin: np.ndarray, spec: NetworkSpec, seed: int) -> Network:
    """The fast generator: vectorised draws, numba CSR packing."""
    n = len(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    v_start, v_size = villages(region, spec.village_size)
    o_start, o_size = _segments(origin)
    pos = np.arange(n, dtype=np.int64) - v_start
    half = spec.k_local // 2
    n_ties = half + spec.long_ties
    dst = np.empty(n_ties * n, dtype=np.int32)
    for r in range(1, half + 1):
        ring = v_start + (pos + r) % v_size
        rewire = rng.random(n) < spec.p_rewire
        anywhere = v_start + (rng.random(n) * v_size).astype(np.int64)
        dst[(r - 1) * n : r * n] = np.where(rewire, anywhere, ring)
    for t in range(spec.long_ties):
        dst[(half + t) * n : (half + t + 1) * n] = o_start + (rng.random(n) * o_size).astype(np.int64)
    src = np.tile(np.arange(n, dtype=np.int32), n_ties)
    indptr, neighbours = _pack_csr(n, src, dst)
    return Network(indptr, neighbours)


@njit(cache=True)
def _fill(n, src, dst):
    counts = np.zeros(n + 1, dtype=np.int64)
    for e in range(src.shape[0]):
        if src[e] != dst[e]:
            counts[src[e] + 1] += 1
            counts[dst[e] + 1] += 1
    indptr = np.cumsum(counts)
    cursor = indptr[:-1].copy()
    neighbours = np.empty(indptr[-1], dtype=np.int32)
    for e in range(src.shape[0]):
        a = src[e]
        b = dst[e]
        if a != b:
            neighbours[cursor[a]] = b
            cursor[a] += 1
            neighbours[cursor[b]] = a
            cursor[b] += 1
    return indptr, neighbours


@njit(cache=True, parallel=True)
def _dedupe_rows(indptr, neighbours, keep):
    for i in prange(indptr.shape[0] - 1):
        row = neighbours[indptr[i] : indptr[i + 1]]
        for a in range(1, row.shape[0]):  # insertion sort: rows are short
            value = row[a]
            b = a - 1
            while b >= 0 and row[b] > value:
                row[b + 1] = row[b]
                b -= 1
            row[b + 1] = value
        count = 0
        for k in range(row.shape[0]):
            if k == 0 or row[k] != row[k - 1]:
                row[count] = row[k]
                count += 1
        keep[i] = count


@njit(cache=True, parallel=True)
def _compact(indptr, neighbours, new_indptr, out):
    for i in prange(indptr.shape[0] - 1):
        start = indptr[i]
        for k in range(new_indptr[i + 1] - new_indptr[i]):
            out[new_indptr[i] + k] = neighbours[start + k]


def _pack_csr(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric, sorted, duplicate-free CSR from a list of ties (no self-ties)."""
    indptr, neighbours = _fill(n, src, dst)
    keep = np.zeros(n, dtype=np.int64)
    _dedupe_rows(indptr, neighbours, keep)
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep, out=new_indptr[1:])
    out = np.empty(new_indptr[-1], dtype=np.int32)
    _compact(indptr, neighbours, new_indptr, out)
    return new_indptr, out


def build_networkx(region: np.ndarray, origin: np.ndarray, spec: NetworkSpec, seed: int) -> nx.Graph:
    """The same family built with networkx generators (small graphs only)."""
    n = len(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    v_start, v_size = villages(region, spec.village_size)
    for start in np.unique(v_start):
        size = int(v_size[v_start == start][0])
        if size <= spec.k_local:
            village = nx.complete_graph(size)
        else:
            village = nx.watts_strogatz_graph(
                size, spec.k_local, spec.p_rewire, seed=int(rng.integers(2**31))
            )
        graph.add_edges_from((int(start) + a, int(start) + b) for a, b in village.edges())
    o_start, o_size = _segments(origin)
    for _ in range(spec.long_ties):
        for i in range(n):
            j = int(o_start[i] + rng.integers(o_size[i]))
            if j != i:
                graph.add_edge(i, j)
    return graph


def statistics(graph: nx.Graph) -> dict[str, float]:
    """Mean degree and average clustering of a graph."""
    n = graph.number_of_nodes()
    return {
        "mean_degree": 2 * graph.number_of_edges() / n,
        "clustering": nx.average_clustering(graph),
    }
