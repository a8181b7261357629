"""Map shards over an executor: inline, a local process pool, or a Dask cluster; results in plan order.

The same shard function runs everywhere, so the output bytes do not depend on the executor.
Work runs a bounded window ahead of the consumer, so memory holds a few shards, not the dataset.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from .errors import GpsynthError

PR_SET_PDEATHSIG = 1      # Linux prctl option: a signal the kernel sends when the parent dies


def map_in_order(function: Callable, items: Iterable, workers: int = 1, dask_address: str | None = None) -> Iterator:
    items = list(items)
    if dask_address:
        yield from _map_on_dask(function, items, dask_address)
    elif workers <= 1 or len(items) <= 1:
        yield from map(function, items)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            yield from _windowed(pool.submit, lambda future: future.result(), function, items, workers * 2)


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when its parent ends, even by kill -9, which the pool cannot see."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):       # not Linux: watch the parent instead
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:              # the parent died before the kernel was told
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


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
        raise GpsynthError("--dask needs Dask distributed: pip install 'gpsynth[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise GpsynthError(f"--dask {address}: cannot reach the Dask scheduler ({exc})") from None
    with client:
        window = 2 * max(1, sum(client.nthreads().values()))
        # pure=False: each shard is distinct work even when two practices look alike.
        yield from _windowed(lambda f, item: client.submit(f, item, pure=False), lambda future: future.result(),
                             function, items, window)
