"""One module per `chargenet` sub-command (see simulator/cli.py)."""
