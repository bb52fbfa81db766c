"""A Server-Sent Events stream of the gateway (a member's page, /chat/api/events, or a
manager's live view, /console/events), read on a thread: the message events in the
order they arrive, and whether the gateway ended the stream (not the test)."""
from __future__ import annotations

import json
import threading
import time
from typing import List

import requests


class EventStream:
    def __init__(self, answer: requests.Response, what: str = "the stream") -> None:
        answer.raise_for_status()
        self.messages: List[dict] = []
        self.arrived = threading.Event()
        self.ended = threading.Event()
        self._ready = threading.Event()
        self._closing = False
        self._answer = answer
        threading.Thread(target=self._read, daemon=True).start()
        assert self._ready.wait(10), f"{what} did not open"

    def _read(self) -> None:
        kind = None
        try:
            for line in self._answer.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[len("event: "):]
                elif line.startswith("data: ") and kind == "ready":
                    self._ready.set()
                elif line.startswith("data: ") and kind == "message":
                    self.messages.append(json.loads(line[len("data: "):])["message"])
                    self.arrived.set()
        except Exception:  # noqa: BLE001 - closed by the test, or cut
            pass
        if not self._closing:
            self.ended.set()

    def wait_for_text(self, text: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(m.get("text") == text for m in self.messages):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._closing = True
        self._answer.close()
