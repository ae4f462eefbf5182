"""Defaults shared by the command line and the config (kept import-light for `call`)."""

from typing import Final

DEFAULT_PORT: Final = 9000
DEFAULT_API_PORT: Final = 9001
DEFAULT_MAX_FRAME_BYTES: Final = 65536
