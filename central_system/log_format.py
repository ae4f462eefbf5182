"""Log lines that can be neither forged nor flooded: control characters escaped, repeats counted.

`configure_logging` (the `serve` command's logging) puts both on its one stderr handler, so every
logger is covered: ours, ocpp's, websockets', asyncio's.

- `SafeFormatter`: a record is one physical line. Control characters in it (C0, DEL, C1, lone
  surrogates, the Unicode line and paragraph separators, bidi overrides) are written as escapes
  (`\\n`, `\\x1b`, `\\u2028`), so a charge point id or a message id cannot start a line of its
  own. A traceback follows on continuation lines that begin with `CONTINUATION`.
- `RepeatFilter`: per kind of line (logger, level, message template before its arguments), the
  first `repeats` lines of each interval pass; the rest are counted, and one line reports the
  count once the interval is over: 5,000 replies with unknown ids log 5 lines and a count.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, TextIO

__all__ = [
    "CONTINUATION",
    "LOG_FORMAT",
    "MAX_KINDS",
    "RepeatFilter",
    "SafeFormatter",
    "configure_logging",
    "escape_control",
]

LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Lines of a record after its first (tracebacks) begin with this; records never do.
CONTINUATION: Final = "  | "
#: Kinds of line tracked at once; the oldest kind is reported and forgotten beyond it.
MAX_KINDS: Final = 1024

_NAMED: Final = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _control_ranges() -> Iterable[range]:
    yield range(0x00, 0x20)  # C0, including \t \n \r
    yield range(0x7F, 0xA0)  # DEL and C1 (NEL 0x85 ends a line for some readers)
    yield range(0x200E, 0x2010)  # left-to-right and right-to-left marks
    yield range(0x2028, 0x202F)  # line and paragraph separators, bidi embeddings/overrides
    yield range(0x2066, 0x206A)  # bidi isolates
    yield range(0xD800, 0xE000)  # lone surrogates (JSON "\ud800" decodes to one)


def _escape(code: int) -> str:
    return _NAMED.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_ESCAPES: Final = {code: _escape(code) for span in _control_ranges() for code in span}
_NEEDS_ESCAPE: Final = re.compile(
    "[" + "".join(f"{chr(span.start)}-{chr(span.stop - 1)}" for span in _control_ranges()) + "]"
)


def escape_control(text: str) -> str:
    """`text` with every control character written as an escape: one line, printable."""
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


class SafeFormatter(logging.Formatter):
    """A `logging.Formatter` whose records cannot forge lines (see the module docstring)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_control(super().formatMessage(record))

    def formatException(self, ei: object) -> str:
        return _continuation(super().formatException(ei))  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return _continuation(super().formatStack(stack_info))


def _continuation(text: str) -> str:
    return "\n".join(CONTINUATION + escape_control(line) for line in text.split("\n"))


@dataclass(slots=True)
class _Window:
    """One kind of line in the current interval."""

    started_at: float
    passed: int = 0
    suppressed: int = 0


_Kind = tuple[str, int, str]
#: Set on the summary records the filter writes itself, so that it lets them through.
_SUMMARY_ATTRIBUTE: Final = "chargenet_repeat_summary"


class RepeatFilter(logging.Filter):
    """Lets the first `repeats` lines of each kind per `interval_s` through; counts the rest.

    Attach it to the handler it reports to. A count is written as one line of the same logger
    and level: `<N> more like "<template>" in the last <S> s`, when the next line of that kind
    arrives after the interval, when a background timer finds the interval over (so a burst
    that then stops is still reported), or on `flush()`. `repeats=0` turns the limit off.
    """

    def __init__(
        self,
        handler: logging.Handler,
        *,
        repeats: int,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        report_in_background: bool = True,
    ) -> None:
        super().__init__()
        self._handler = handler
        self._repeats = repeats
        self._interval_s = interval_s
        self._clock = clock
        self._report_in_background = report_in_background
        self._windows: dict[_Kind, _Window] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._repeats <= 0 or getattr(record, _SUMMARY_ATTRIBUTE, False):
            return True
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        kind: _Kind = (record.name, record.levelno, template)
        now = self._clock()
        due: list[tuple[_Kind, _Window]] = []
        with self._lock:
            window = self._windows.get(kind)
            if window is None or now - window.started_at >= self._interval_s:
                if window is not None:
                    due.append((kind, window))
                    del self._windows[kind]  # re-inserted last: dict order is age order
                window = self._windows[kind] = _Window(now)
                if len(self._windows) > MAX_KINDS:
                    oldest = next(iter(self._windows))
                    due.append((oldest, self._windows.pop(oldest)))
            passes = window.passed < self._repeats
            if passes:
                window.passed += 1
            else:
                window.suppressed += 1
                self._arm_timer()
        self._report(due, now)
        return passes

    def sweep(self) -> None:
        """Report the counts of intervals that are over; forget those kinds."""
        now = self._clock()
        with self._lock:
            self._timer = None
            over = [
                kind
                for kind, window in self._windows.items()
                if now - window.started_at >= self._interval_s
            ]
            due = [(kind, self._windows.pop(kind)) for kind in over]
            if any(window.suppressed for window in self._windows.values()):
                self._arm_timer()
        self._report(due, now)

    def flush(self) -> None:
        """Report every count now (at shutdown)."""
        now = self._clock()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            due = list(self._windows.items())
            self._windows.clear()
        self._report(due, now)

    def _arm_timer(self) -> None:
        if self._report_in_background and self._timer is None:
            self._timer = threading.Timer(self._interval_s, self.sweep)
            self._timer.daemon = True
            self._timer.start()

    def _report(self, due: list[tuple[_Kind, _Window]], now: float) -> None:
        for (name, level, template), window in due:
            if not window.suppressed:
                continue
            elapsed_s = min(now - window.started_at, self._interval_s)
            summary = logging.LogRecord(
                name,
                level,
                __file__,
                0,
                '%d more like "%s" in the last %.1f s',
                (window.suppressed, template, elapsed_s),
                None,
            )
            setattr(summary, _SUMMARY_ATTRIBUTE, True)
            self._handler.handle(summary)


def configure_logging(
    level: str, *, stream: TextIO, repeats: int, interval_s: float
) -> RepeatFilter:
    """Log to `stream` through one handler with both safeguards; returns its `RepeatFilter`
    (flush it at shutdown)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    repeat_filter = RepeatFilter(handler, repeats=repeats, interval_s=interval_s)
    handler.addFilter(repeat_filter)
    logging.basicConfig(level=level, handlers=[handler])
    return repeat_filter
