"""Map shards over an executor: inline, a local process pool, or a Dask cluster; results in plan order.

The same shard function runs everywhere, so the output bytes do not depend on the executor.
Work runs a bounded window ahead of the consumer, so memory holds a few shards, not the dataset.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

from .errors import GpsynthError


def map_in_order(function: Callable, items: Iterable, workers: int = 1, dask_address: str | None = None) -> Iterator:
    items = list(items)
    if dask_address:
        yield from _map_on_dask(function, items, dask_address)
    elif workers <= 1 or len(items) <= 1:
        yield from map(function, items)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from _windowed(pool.submit, lambda future: future.result(), function, items, workers * 2)


def _windowed(submit, result, function, items: list, window: int) -> Iterator:
    futures = [submit(function, item) for item in items[:window]]
    for n in range(len(items)):
        done = result(futures[n])
        futures[n] = None
        if n + window < len(items):
            futures.append(submit(function, items[n + window]))
        yield done


def _map_on_dask(function: Callable, items: list, address: str) -> Iterator:
    try:
        from distributed import Client
    except ImportError:
        raise GpsynthError("--dask needs Dask distributed: pip install 'gpsynth[dask]'")
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise GpsynthError(f"--dask {address}: cannot reach the Dask scheduler ({exc})")
    with client:
        window = 2 * max(1, sum(client.nthreads().values()))
        # pure=False: each shard is distinct work even when two practices look alike.
        yield from _windowed(lambda f, item: client.submit(f, item, pure=False), lambda future: future.result(),
                             function, items, window)
