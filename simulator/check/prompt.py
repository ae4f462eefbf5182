"""A person at a terminal as the trigger: the cases the central system initiates, run by hand.

Without `--trigger`, when stdin and stdout are a terminal, `chargenet check` tells the user,
per backend-initiated case, exactly what to make the backend send (the action, the charge
point id and the payload as one line of JSON) and waits for that CALL as long as the prompt's
deadline (`--prompt-timeout`, `Target.trigger_wait_s`): the user acts in the backend's own
UI or API; if the CALL does not come in time the case fails with the wait it gave up on.
Creating an id tag and setting a charge point's password have no CALL to wait for: the user
does it and presses Enter, within the same deadline, else the step fails naming it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import termios
from collections.abc import Mapping
from typing import Any, Final, TextIO

from simulator.check.trigger import TriggerFailed

__all__ = [
    "PromptTrigger",
]

#: Most bytes read from the terminal at once (a line of input).
_READ_BYTES: Final = 4096


class PromptTrigger:
    """The `Trigger` protocol on a terminal: `input_fd` read for Enter, prompts on `output`."""

    def __init__(self, *, input_fd: int, output: TextIO, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.description = f"the prompt on this terminal (waits {timeout_s:g} s)"
        self._input_fd = input_fd
        self._output = output
        self._introduced = False

    def _say(self, *lines: str) -> None:
        if not self._introduced:
            self._introduced = True
            lines = (
                "(no --trigger: you make the backend act; each >>> says what, and waits "
                f"{self.timeout_s:g} s, --prompt-timeout)",
                *lines,
            )
        self._output.write("\n" + "\n".join(lines) + "\n")
        self._output.flush()

    async def send(self, charge_point_id: str, action: str, payload: Mapping[str, Any]) -> None:
        # Nothing to confirm: the check waits for the CALL itself (for trigger_wait_s).
        self._say(
            f">>> make the backend send {action} to charge point {charge_point_id} "
            f"within {self.timeout_s:g} s, with this payload:",
            json.dumps(dict(payload)),
        )

    async def create_token(
        self,
        id_tag: str,
        status: str,
        *,
        parent_id_tag: str | None = None,
        expiry_date: str | None = None,
    ) -> None:
        extra = "".join(
            f", {name} {value}"
            for name, value in (("parent id tag", parent_id_tag), ("expiry date", expiry_date))
            if value is not None
        )
        await self._confirm(
            f">>> make the backend know id tag {id_tag} with status {status}{extra},",
            f"create-token {id_tag}",
        )

    async def set_password(self, charge_point_id: str, password: str) -> None:
        await self._confirm(
            f">>> make the backend take {password} as the basic-auth password of charge point "
            f"{charge_point_id},",
            f"set-basic-auth-password {charge_point_id}",
        )

    async def _confirm(self, request: str, step: str) -> None:
        with contextlib.suppress(termios.error, OSError):  # not a terminal: nothing typed ahead
            termios.tcflush(self._input_fd, termios.TCIFLUSH)
        self._say(request, f"then press Enter (within {self.timeout_s:g} s)")
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._line()
        except TimeoutError:
            raise TriggerFailed(
                f"{step}: no Enter within {self.timeout_s:g} s (--prompt-timeout)"
            ) from None

    async def _line(self) -> None:
        """Until a line (or the end of input) comes on the terminal."""
        loop = asyncio.get_running_loop()
        entered: asyncio.Future[bool] = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(self._input_fd, _READ_BYTES)
            except OSError:
                data = b""
            if not entered.done() and (not data or b"\n" in data or b"\r" in data):
                entered.set_result(bool(data))

        loop.add_reader(self._input_fd, readable)
        try:
            if not await entered:
                raise TriggerFailed("the terminal's input ended")
        finally:
            loop.remove_reader(self._input_fd)
