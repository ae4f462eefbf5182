"""Renderings of a run's outcomes: terminal table, JUnit XML, JSON, self-contained HTML."""
