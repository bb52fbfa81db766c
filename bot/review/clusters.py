"""Clusters of similar messages the bot did not understand (未识别消息聚类), so that a
missing intent shows itself: many members asking 发票怎么开 in different words. Pure
functions of the texts; deterministic.

Similarity: the cosine of the texts' character n-gram sets (2- and 3-grams, and single
characters: short phrasings reorder their words, 发票怎么开 / 能开发票吗, and only single
characters see that), taken after the question words and particles (怎么, 哪里, 什么, 吗,
我 ...) are left out: they say how a member asks, not what, and would otherwise pull
怎么开发票 towards 怎么开通会员. Clustering: average-linkage agglomeration, the two
clusters with the highest average similarity merged until none reaches `threshold`.
Texts are ordered by frequency, then text, first, so the result does not depend on the
order they came in. Tuned on tests/test_review.py's fixed set (0.3-0.4 give the same
groups there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

from bot.review.text import normalise

DEFAULT_THRESHOLD = 0.35
MAX_EXAMPLES = 5
# Beyond this many distinct texts only the most frequent are clustered (the matrices are
# texts x texts).
MAX_TEXTS = 3000
# Punctuation, symbols and spaces carry no meaning for similarity.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# How members ask rather than what about: left out before the n-grams are taken.
_ASKING = re.compile(
    "怎么样|怎么|怎样|如何|什么|哪些|哪里|哪儿|哪个|多少|请问|一下|可以|能不能|能否|是不是|有没有"
    "|你们|我们|我的|你的|我要|我想|想要|需要|这个|那个|[我你您他她它的了吗呢吧啊呀哦嘛么能要想有在是去]"
)


def ngrams(text: str, sizes: Tuple[int, ...] = (1, 2, 3)) -> FrozenSet[str]:
    """The character n-grams of what a text is about; a text too short for them is its
    own gram."""
    chars = _NOISE.sub("", normalise(text))
    chars = _ASKING.sub("", chars) or chars
    grams = {chars[i:i + n] for n in sizes for i in range(len(chars) - n + 1)}
    return frozenset(grams or ({chars} if chars else set()))


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """Cosine of two n-gram sets: shared grams over the geometric mean of their sizes."""
    if not a or not b:
        return 0.0
    return len(a & b) / (len(a) * len(b)) ** 0.5


def similarities(grams: Sequence[FrozenSet[str]]) -> np.ndarray:
    """The texts' pairwise similarities (an inverted index of the grams counts the
    shared ones)."""
    n = len(grams)
    shared = np.zeros((n, n), dtype=np.float64)
    postings: Dict[str, List[int]] = {}
    for i, text_grams in enumerate(grams):
        for gram in text_grams:
            postings.setdefault(gram, []).append(i)
    for holders in postings.values():
        index = np.array(holders)
        shared[np.ix_(index, index)] += 1.0
    sizes = np.array([max(len(g), 1) for g in grams], dtype=np.float64)
    return shared / np.sqrt(np.outer(sizes, sizes))


@dataclass(frozen=True)
class Cluster:
    """Similar texts: `indices` into the input, the most frequent first."""

    representative: str  # the text most similar to the others (ties: most frequent)
    count: int  # messages: the sum of the texts' counts
    examples: Tuple[str, ...]  # up to MAX_EXAMPLES texts, most frequent first
    indices: Tuple[int, ...]

    @property
    def size(self) -> int:
        """Distinct texts."""
        return len(self.indices)

    def as_json(self) -> Dict[str, object]:
        return {"representative": self.representative, "count": self.count,
                "size": self.size, "examples": list(self.examples),
                "indices": list(self.indices)}


def _agglomerate(sim: np.ndarray, threshold: float) -> List[List[int]]:
    """Average linkage: merge the closest pair of clusters while their average
    similarity reaches `threshold`. Rows are texts in the caller's order; ties go to
    the earliest pair."""
    n = len(sim)
    members: List[List[int]] = [[i] for i in range(n)]
    total = sim.copy()  # sum of similarities between the members of two clusters
    average = sim.copy()
    np.fill_diagonal(average, -1.0)
    alive = np.ones(n, dtype=bool)
    sizes = np.ones(n)
    # each row's best partner, kept up to date so a merge costs O(n), not O(n²)
    best = average.argmax(axis=1) if n else np.zeros(0, dtype=int)
    while n > 1:
        row_best = np.where(alive, average[np.arange(n), best], -1.0)
        x = int(np.argmax(row_best))
        y = int(best[x])
        if row_best[x] < threshold or not alive[y] or x == y:
            break
        x, y = min(x, y), max(x, y)
        total[x, :] += total[y, :]
        total[:, x] += total[:, y]
        sizes[x] += sizes[y]
        alive[y] = False
        members[x] += members[y]
        average[y, :] = average[:, y] = -1.0
        row = np.where(alive, total[x, :] / (sizes[x] * sizes), -1.0)
        row[x] = -1.0
        average[x, :] = average[:, x] = row
        best[x] = int(np.argmax(row))
        # rows that pointed at x or y look again; the others may now prefer x
        stale = alive & ((best == x) | (best == y))
        for i in np.flatnonzero(stale):
            best[i] = int(np.argmax(average[i]))
        better = alive & (row > average[np.arange(n), best])
        best[better] = x
    return [members[i] for i in range(n) if alive[i]]


def cluster(texts: Sequence[str], counts: Optional[Sequence[int]] = None,
            threshold: float = DEFAULT_THRESHOLD,
            max_examples: int = MAX_EXAMPLES) -> List[Cluster]:
    """Group `texts` (each seen counts[i] times, 1 by default) into clusters, the
    largest (by messages) first; a text like no other is a cluster of one."""
    counts = list(counts) if counts is not None else [1] * len(texts)
    if len(counts) != len(texts):
        raise ValueError("one count per text")
    order = sorted(range(len(texts)), key=lambda i: (-counts[i], normalise(texts[i]), i))
    order = order[:MAX_TEXTS]
    if not order:
        return []
    grams = [ngrams(texts[i]) for i in order]
    sim = similarities(grams)
    clusters = []
    for group in _agglomerate(sim, threshold):
        group.sort()  # positions in `order`: most frequent first
        weights = np.array([counts[order[p]] for p in group], dtype=np.float64)
        block = sim[np.ix_(group, group)]
        around = block @ weights - np.diag(block) * weights
        # the most central text; ties to the most frequent (the earliest position)
        best = group[max(range(len(group)), key=lambda k: (round(float(around[k]), 9), -k))]
        indices = tuple(order[p] for p in group)
        clusters.append(Cluster(
            representative=texts[order[best]],
            count=int(weights.sum()),
            examples=tuple(texts[i] for i in indices[:max_examples]),
            indices=indices))
    clusters.sort(key=lambda c: (-c.count, -c.size, normalise(c.representative)))
    return clusters
