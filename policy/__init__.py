"""Pure functions shared by the simulator's model and the built-in central system.

Stdlib only, and nothing of ours: both engines apply the very same function, so the fast
engine and a central system that sends the result over OCPP see the same numbers.
"""
