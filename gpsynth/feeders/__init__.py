"""Load-test feeders: CSV rows of free slots, bookable patients and consumer organisations, and a script that uses them.

    write_feeders(store, out, FeederOptions(tool="locust"))
"""

from .rows import MAX_SEARCH_DAYS
from .write import DEFAULT_BASE_URL, TOOLS, FeederOptions, Feeders, write_feeders

__all__ = ["DEFAULT_BASE_URL", "MAX_SEARCH_DAYS", "TOOLS", "FeederOptions", "Feeders", "write_feeders"]
