"""`python -m bot.rasa_server run ...`: `rasa run ...` with the HTTP API's token taken from
HM_RASA_TOKEN instead of the command line.

`rasa run --auth-token T` puts the token in the process's command line, which every
account on the machine can read (`ps aux`, /proc/<pid>/cmdline). Here Rasa's own command
line parser gets the token in this process only; the command line that `ps` shows has
the other arguments and no token. Without HM_RASA_TOKEN the API has no token, as with
`rasa run` (docs/security.md). A token given on the command line is refused, so it
cannot end up there by habit.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional, Sequence

TOKEN_SETTING = "HM_RASA_TOKEN"


def command(port: object, model: object, endpoints: object,
            interface: str = "127.0.0.1") -> List[str]:
    """How every part of the project starts a Rasa server (run, production profile,
    tests): the REST channels and the HTTP API, the token from HM_RASA_TOKEN."""
    return ["python", "-m", "bot.rasa_server", "run", "--enable-api",
            "--interface", interface, "--port", str(port), "--model", str(model),
            "--endpoints", str(endpoints), "--credentials", "credentials.yml"]


def rasa_argv(args: Sequence[str], environ=os.environ) -> List[str]:
    """The argv Rasa's parser reads: `args` and, when HM_RASA_TOKEN is set, the token."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit(f"bot.rasa_server: the token comes from {TOKEN_SETTING}, "
                         "not from the command line (anyone can read it there)")
    token = environ.get(TOKEN_SETTING, "").strip()
    return ["rasa", *args, *(["--auth-token", token] if token else [])]


def main(argv: Optional[Sequence[str]] = None) -> None:
    sys.argv = rasa_argv(sys.argv[1:] if argv is None else argv)
    from rasa.__main__ import main as rasa_main  # after the argv: Rasa reads sys.argv

    rasa_main()


if __name__ == "__main__":
    main()
