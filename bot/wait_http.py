"""Wait until an HTTP endpoint answers 200: `python -m bot.wait_http URL [SECONDS]`.

Used by the run script and the tests instead of sleeping."""
from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def probe(url: str, timeout: float = 2.0) -> object:
    """True when GET url answers 200 now; otherwise what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200 or f"HTTP {response.status}"
    except (urllib.error.URLError, OSError) as error:
        return error


def answers(url: str, timeout: float = 2.0) -> bool:
    return probe(url, timeout) is True


def wait_http(url: str, timeout: float = 60.0, interval: float = 0.25) -> None:
    """Return once GET url answers 200; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        last_error = probe(url)
        if last_error is True:
            return
        time.sleep(interval)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last_error})")


if __name__ == "__main__":
    wait_http(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)
