"""OCTT 1.6 transaction and authorization cases beyond the basic session (octt_core)."""

from __future__ import annotations
