"""Rasa's API token never appears on a command line (bot/rasa_server.py): what `ps`
shows of a running Rasa server, and how the wrapper hands the token to Rasa."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.rasa_server import command, rasa_argv


def test_the_token_reaches_rasas_parser_from_the_environment():
    argv = rasa_argv(["run", "--enable-api"], {"HM_RASA_TOKEN": " s3cret "})
    assert argv == ["rasa", "run", "--enable-api", "--auth-token", "s3cret"]
    assert rasa_argv(["run"], {}) == ["rasa", "run"]  # no token: an open API, as rasa run


@pytest.mark.parametrize("given", [["--auth-token", "x"], ["--auth-token=x"]])
def test_a_token_on_the_command_line_is_refused(given):
    with pytest.raises(SystemExit, match="HM_RASA_TOKEN"):
        rasa_argv(["run", *given], {"HM_RASA_TOKEN": "x"})


def test_every_rasa_server_of_the_project_starts_without_the_token_in_its_arguments():
    args = command(5005, "models", "endpoints.yml")
    assert args[:4] == ["python", "-m", "bot.rasa_server", "run"]
    assert not any("token" in a for a in args)


def test_a_running_rasa_shows_no_token_in_ps(rasa_server):
    """The suite's own Rasa (tests/conftest.py) runs through the wrapper: its command
    line, as every account on the machine reads it, has no token, and its API still
    wants one."""
    import requests

    from bot.processes import local_secret

    cmdline = Path(f"/proc/{rasa_server.process.pid}/cmdline").read_bytes()
    token = local_secret("HM_RASA_TOKEN")
    assert b"bot.rasa_server" in cmdline and token.encode() not in cmdline
    assert requests.get(f"{rasa_server.url}/status", timeout=10).status_code == 401
    assert requests.get(f"{rasa_server.url}/status?token={token}", timeout=10).ok
