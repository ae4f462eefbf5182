"""OCTT 1.6 LocalAuthListManagement cases: GetLocalListVersion, SendLocalList, and ids in
the list."""

from __future__ import annotations
