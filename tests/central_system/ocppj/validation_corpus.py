"""The real payloads of test_fast_validation: a few of each (version, action, direction) taken
from `chargenet run --message-log` files, written to validation_corpus.json.

    python -m tests.central_system.ocppj.validation_corpus ocpp1.6=q16.jsonl ocpp2.0.1=q201.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).with_name("validation_corpus.json")
# Per (version, action, direction): this many payloads of distinct key structure, at most.
_PER_KIND = 4


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return tuple(sorted({repr(_shape(item)) for item in value}))
    return type(value).__name__


def payloads(version: str, log: Path) -> list[dict[str, Any]]:
    """Up to _PER_KIND payloads of each kind of CALL and CALLRESULT in one message log."""
    actions: dict[tuple[str, str], str] = {}
    kept: dict[tuple[str, bool], dict[Any, Any]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        frame = json.loads(entry["frame"])
        if frame[0] == 2:
            _, message_id, action, payload = frame
            actions[(entry["cp"], message_id)] = action
            key = (action, False)
        elif frame[0] == 3:
            action = actions.get((entry["cp"], frame[1]), "")
            if not action:
                continue
            payload, key = frame[2], (action, True)
        else:
            continue
        shapes = kept.setdefault(key, {})
        if len(shapes) < _PER_KIND:
            shapes.setdefault(_shape(payload), payload)
    return [
        {"version": version, "action": action, "response": response, "payload": payload}
        for (action, response), shapes in sorted(kept.items())
        for payload in shapes.values()
    ]


def main(arguments: list[str]) -> None:
    corpus = []
    for argument in arguments:
        version, _, path = argument.partition("=")
        corpus.extend(payloads(version, Path(path)))
    CORPUS.write_text(json.dumps(corpus, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(corpus)} payloads -> {CORPUS}")


if __name__ == "__main__":
    main(sys.argv[1:])
