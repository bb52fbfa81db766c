"""Wait until an HTTP endpoint answers 200: `python -m bot.wait_http URL [SECONDS]`.

Used by the run script and the tests instead of sleeping."""
from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait_http(url: str, timeout: float = 60.0, interval: float = 0.25) -> None:
    """Return once GET url answers 200; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last_error})")


if __name__ == "__main__":
    wait_http(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)
