"""A member's web chat page as the gateway sees it: its event stream (/chat/api/events),
read on a thread, with what arrived and whether the gateway ended it."""
from __future__ import annotations

import json
import threading
import time
from typing import List

import requests


class PageStream:
    def __init__(self, url: str, token: str) -> None:
        self.messages: List[dict] = []
        self.arrived = threading.Event()
        self.ended = threading.Event()  # the gateway closed the stream (not the test)
        self._ready = threading.Event()
        self._closing = False
        self._answer = requests.get(f"{url}/chat/api/events", params={"token": token},
                                    stream=True, timeout=(5, 90))
        self._answer.raise_for_status()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._ready.wait(10), "the stream did not open"

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
