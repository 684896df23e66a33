"""Seeded randomness without global state: one derived generator per purpose.

``derive_seed(seed, "tiebreak", day, ballot)`` depends only on its arguments, so a resumed game draws
exactly what an uninterrupted one would, without saving any generator state.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *purpose: object) -> int:
    """A 63-bit seed determined by ``seed`` and the purpose path (stable across Python versions)."""
    text = "\x1f".join([str(seed), *map(str, purpose)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def derive_rng(seed: int, *purpose: object) -> random.Random:
    """A private ``random.Random`` for one purpose of one game."""
    return random.Random(derive_seed(seed, *purpose))


def public_salt(seed: int) -> str:
    """A per-game value agents may hash for stable draws (priors, shared tie-breaks): a one-way function
    of the seed, so it reveals neither the seed nor the roles drawn from it, and the same for every seat
    whatever the game id."""
    return f"{derive_seed(seed, 'public-salt'):016x}"
