"""The dataset store: one DuckDB file the sandbox serves from and the loader and reports read.

The schema is documented in gpsynth.store.schema; everything here works on a connection from
open_store, so callers can also run their own SQL on it. gpsynth.export turns a store back into files.
"""

from .database import StoreInfo, StoreWriter, open_store, store_info, transaction
from .query import QueryResult, run_query
from .resources import (StoredResource, insert_resource, read_resource, resource_counts, stored_resources,
                        update_resource)
from .schema import DEFAULT_STORE_NAME, STORE_FORMAT

__all__ = [
    "DEFAULT_STORE_NAME", "STORE_FORMAT", "QueryResult", "StoreInfo", "StoreWriter", "StoredResource",
    "insert_resource", "open_store", "read_resource", "resource_counts", "run_query", "store_info", "stored_resources",
    "transaction", "update_resource",
]
