"""Reports: pure functions of a run's records, and how they are shown.

- `metrics`: the metric functions, returning typed values (DriverMetrics, PortMetrics);
- `catalogue`: every metric declared once (key, label, unit, scale, direction, group);
- `summary`: summary.json and sessions.csv; `render`: the terminal tables;
- `views`: the run report's page; `page`, `charts`, `html`: pages, charts and their HTML.

Nothing here imports the experiment package, which builds its own reports on these.
"""
