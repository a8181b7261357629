"""What a dataset is: its scenario, seed and reference date, and the gpsynth that made it.

Every format records it (the NDJSON manifest, the store's and Parquet's `dataset` table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DatasetInfo:
    scenario_name: str
    rules_yaml: str
    seed: int
    as_of: date
    last_updated: str
    version: str
