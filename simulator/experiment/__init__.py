"""Experiments over many runs: replications with common random numbers, confidence intervals,
parameter sweeps, and their execution on Dask.

- `statistics`: Student t intervals, for one scenario and for paired differences.
- `observations`: a summary document flattened to (scope, group, segment, metric) -> value.
- `replications`: the tasks an experiment consists of, the seed of replication k, and the
  function a worker runs (scenario data, days, seed) -> summary data.
- `execution`: a Dask client (a local cluster, or an existing scheduler) and the loop that runs
  tasks, counts them and keeps going past a failing one.
- `grid`: `--vary KEY=V1,V2` parsed, applied to a scenario by key path and re-validated.
- `comparison`, `sweep`: the estimates and differences an experiment reports, as documents.
- `tables`: the tidy tables (CSV, Parquet); `estimates`: the terminal tables;
  `pages`: the HTML reports (compare.html, sweep.html) as pages drawn by simulator.reports.html.

This package sits above simulator.reports: it imports the summary, the metric catalogue and the
page and chart types from there, and simulator.reports never imports it.
"""
