"""OCTT 1.6 boot cases beyond the cold boot: a boot answered Pending, then Accepted."""

from __future__ import annotations
