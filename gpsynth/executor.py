"""Map shards over an executor: inline, a local process pool, or a Dask cluster; results in plan order."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator


def map_in_order(function: Callable, items: Iterable, workers: int = 1) -> Iterator:
    """function(item) for each item, yielded in order; work runs ahead on `workers` processes."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Bounded look-ahead keeps memory to a few shards, whatever the number of practices.
        window = workers * 2
        futures = [pool.submit(function, item) for item in items[:window]]
        for n in range(len(items)):
            result = futures[n].result()
            futures[n] = None
            if n + window < len(items):
                futures.append(pool.submit(function, items[n + window]))
            yield result
