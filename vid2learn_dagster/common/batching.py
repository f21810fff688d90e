"""Several videos in one model call: how the model stages group videos and split results.

A GPU model (vLLM above all) is fastest when it sees many prompts at once, and loading it
costs tens of seconds, so the model stages take up to `VIDEOS_PER_RUN` videos in one step
(issue 3: "the vLLM backend can take several videos at once"). Dagster runs such a step over
a *range* of partitions, so the videos of one run must be neighbours in partition order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

# Enough prompts to keep a GPU busy (a lecture has tens of chunks), few enough that one
# failing batch re-runs little. Also the backfill policy's `max_partitions_per_run`.
VIDEOS_PER_RUN = 16


def call_batched(
    groups: Mapping[K, Sequence[T]], call: Callable[[list[T]], Sequence[R]]
) -> dict[K, list[R]]:
    """`call` once on every group's items together; its results, in order, split back by group.

    No call is made when there are no items at all (a batch of videos without speech).
    """
    flat = [item for items in groups.values() for item in items]
    results = list(call(flat)) if flat else []
    if len(results) != len(flat):
        raise ValueError(f"a batched call returned {len(results)} results for {len(flat)} items")
    answers = iter(results)
    return {key: [next(answers) for _ in items] for key, items in groups.items()}


def contiguous_batches(
    order: Sequence[str], keys: Sequence[str], size: int = VIDEOS_PER_RUN
) -> list[list[str]]:
    """`keys` cut into runs of neighbours in `order` (the partitions' order), each at most
    `size` long: what one Dagster run over a partition range can cover."""
    position = {key: i for i, key in enumerate(order)}
    missing = [k for k in keys if k not in position]
    if missing:
        raise ValueError(f"not partitions: {', '.join(missing)}")
    batches: list[list[str]] = []
    for key in sorted(set(keys), key=position.__getitem__):
        last = batches[-1][-1] if batches else None
        if last is not None and position[key] == position[last] + 1 and len(batches[-1]) < size:
            batches[-1].append(key)
        else:
            batches.append([key])
    return batches
