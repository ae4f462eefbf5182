"""The checks, one module per group; each function is declared with `catalogue.check`."""
