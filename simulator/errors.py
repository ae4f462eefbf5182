"""Errors a user can cause, and the exit codes they map to."""

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a process that Ctrl-C ended."""


class UserError(Exception):
    """A mistake the user can fix (bad flag value, unwritable folder, unreachable backend):
    reported in one line, exit code 2."""
