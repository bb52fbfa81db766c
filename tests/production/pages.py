"""A member's web chat page as the gateway sees it: its event stream (/chat/api/events)."""
from __future__ import annotations

import requests

from tests.sse import EventStream


class PageStream(EventStream):
    def __init__(self, url: str, token: str) -> None:
        super().__init__(requests.get(f"{url}/chat/api/events", params={"token": token},
                                      stream=True, timeout=(5, 90)))
