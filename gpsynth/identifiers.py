"""NHS numbers, synthetic ODS codes and the seed derivation that keeps shards independent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import numpy as np

NHS_NUMBER_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# Ranges of NHS numbers never issued to real patients. Each is a prefix of the 9-digit stem;
# "999" is the widely used test range (about 900,000 valid numbers), "9" the wider test range
# (about 90 million) for national-scale datasets.
NHS_NUMBER_RANGES = {"999": "999", "9": "9"}

# Real GP practice codes are one letter and five digits; gpsynth's codes never take that shape.
REAL_PRACTICE_CODE = re.compile(r"^[A-Z][0-9]{5}$")
ODS_CODE = re.compile(r"^[A-Z0-9]{1,9}$")


def nhs_check_digit(stem: str) -> int | None:
    """The modulus-11 check digit of a 9-digit stem, or None when no valid number has this stem."""
    total = sum(int(d) * w for d, w in zip(stem, NHS_NUMBER_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def nhs_number_capacity(range_name: str) -> int:
    """How many distinct valid numbers `nhs_number(range_name, n)` can give."""
    prefix = NHS_NUMBER_RANGES[range_name]
    return 10 ** (9 - len(prefix)) // 10 * 9


def nhs_number(range_name: str, index: int) -> str:
    """The index-th valid NHS number of a range."""
    return next(nhs_numbers(range_name, index))


def nhs_numbers(range_name: str, first_index: int) -> Iterator[str]:
    """The valid numbers of a range in order, from the first_index-th.

    In any block of ten consecutive stems (last digit 0-9) the weighted sums differ by 2, so they
    hit ten distinct residues mod 11 and at most one stem is invalid: each block yields at least
    nine numbers, and taking exactly nine per block lets an index address a number directly.
    """
    prefix = NHS_NUMBER_RANGES[range_name]
    width = 9 - len(prefix) - 1
    block, skip = divmod(first_index, 9)
    while True:
        if block >= 10**width:
            raise ValueError(f"NHS number range {range_name!r} holds {nhs_number_capacity(range_name)} numbers")
        base = f"{prefix}{block:0{width}d}"
        # The stem's last digit is weighed below, so the last weight is left unpaired here.
        base_sum = sum(int(d) * w for d, w in zip(base, NHS_NUMBER_WEIGHTS, strict=False))
        taken = 0
        for last in range(10):
            check = 11 - (base_sum + 2 * last) % 11
            if check == 10 or taken == 9:
                continue
            taken += 1
            if skip:
                skip -= 1
                continue
            yield f"{base}{last}{0 if check == 11 else check}"
        block += 1


def nhs_number_block(range_name: str, first_index: int, count: int) -> list[str]:
    """The same numbers as `nhs_numbers(range_name, first_index)`, count of them, computed as arrays."""
    prefix = NHS_NUMBER_RANGES[range_name]
    width = 9 - len(prefix) - 1
    if first_index + count > nhs_number_capacity(range_name):
        raise ValueError(f"NHS number range {range_name!r} holds {nhs_number_capacity(range_name)} numbers")
    block, position = np.divmod(np.arange(first_index, first_index + count, dtype=np.int64), 9)
    digits = np.array([int(d) for d in prefix], dtype=np.int64)
    total = np.full(count, int(digits @ np.array(NHS_NUMBER_WEIGHTS[:len(prefix)])), dtype=np.int64)
    rest = block
    for weight in reversed(NHS_NUMBER_WEIGHTS[len(prefix):len(prefix) + width]):
        rest, digit = np.divmod(rest, 10)
        total += digit * weight
    # The one last digit (if any) whose check would be 10 is skipped, so later positions move up by one.
    invalid_last = next_invalid_last_digit(total)
    last = position + (position >= invalid_last)
    check = (11 - (total + 2 * last) % 11) % 11
    return [f"{prefix}{stem:0{width}d}{digit}{check_digit}"
            for stem, digit, check_digit in zip(block.tolist(), last.tolist(), check.tolist(), strict=True)]


def next_invalid_last_digit(base_sum: np.ndarray) -> np.ndarray:
    """The last stem digit 0-9 giving check digit 10 for each weighted sum, or 10 when there is none."""
    # (base_sum + 2 * last) % 11 == 1  <=>  last == 6 * (1 - base_sum) mod 11, since 2 * 6 == 1 mod 11.
    return (6 * (1 - base_sum)) % 11


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from the global seed and a key; stable across processes and machines."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
