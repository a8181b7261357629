"""Rules that turn a plan into records, one practice (shard) at a time."""

from .practice import consumer_shard, practice_shard

__all__ = ["consumer_shard", "practice_shard"]
