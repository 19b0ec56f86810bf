"""Segments in a promotion's audience: who defines them is an app above promotions (campaigns), which
registers a resolver here from its `AppConfig.ready()`. promotions never imports it.

A resolver answers two questions:
- `known(merchant=, codes=)` → the codes among `codes` that name a segment of the merchant (the
  promotion editor refuses the others);
- `holding(merchant=, customer=, codes=, now=)` → the codes among `codes` whose segment holds this one
  customer. The checkout asks it once per calculation, for the segments live promotions name, and it
  must answer in ONE cheap query for that customer, never by evaluating a whole segment.

With no resolver registered, no segment exists: a named segment is unknown and holds nobody.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class SegmentResolver:
    known: Callable[..., set[str]]
    holding: Callable[..., set[str]]


_resolver: SegmentResolver | None = None


def segment_resolver_register(resolver: SegmentResolver) -> None:
    """Register (or replace) the segment resolver. Call from AppConfig.ready()."""
    global _resolver
    if not isinstance(resolver, SegmentResolver) or not callable(resolver.known) or not callable(resolver.holding):
        raise ValueError("A segment resolver needs two callables, known and holding.")
    _resolver = resolver


def segment_resolver_unregister() -> None:
    global _resolver
    _resolver = None


def segments_known(*, merchant, codes) -> set[str]:
    codes = {code for code in codes if isinstance(code, str)}
    if not codes or _resolver is None:
        return set()
    return set(_resolver.known(merchant=merchant, codes=codes)) & codes


def segments_holding(*, merchant, customer, codes, now) -> set[str]:
    codes = {code for code in codes if isinstance(code, str)}
    if customer is None or not codes or _resolver is None:
        return set()
    return set(_resolver.holding(merchant=merchant, customer=customer, codes=codes, now=now)) & codes
