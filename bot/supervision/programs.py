"""The processes of the product on one machine (what the Procfile listed): their
commands, how long each needs to count as started, and the URL that answers once it
serves.

A command names its settings, never their values: `env("HM_RASA_TOKEN")` becomes
`%(ENV_HM_RASA_TOKEN)s`, which supervisord reads from its own environment (prepared by
scripts/run.sh) when it starts the process, so no secret is written into a file. Every
process inherits that whole environment (HM_NOW, HM_DEMO, the tokens...).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple, Union

from bot import rasa_server


def env(name: str) -> str:
    """A setting in a command, expanded by supervisord from its environment."""
    return f"%(ENV_{name})s"


@dataclass(frozen=True)
class IfSet:
    """Arguments given only when the setting `name` is set when the config is made."""
    name: str
    args: Tuple[str, ...]


Arg = Union[str, IfSet]


@dataclass(frozen=True)
class Program:
    name: str
    command: Tuple[Arg, ...]
    title: str
    # The URL (from the environment) that answers 200 once the process serves; None for
    # a process without one (the purge job), which is ready once supervisord says RUNNING.
    ready: Optional[str] = None
    # supervisord's startsecs: a process that dies sooner failed to start, and is retried
    # with a growing back-off (1 s, 2 s, 3 s) up to startretries; one that dies later
    # crashed, and is restarted at once (the storm guard counts both).
    startsecs: int = 10
    # TERM, then this long before KILL (the whole process group).
    stopwaitsecs: int = 10
    # How long `make run` waits for it to answer before calling it failed.
    timeout: int = 90
    note: str = ""  # what the progress line says while it is slow to come up
    # Settings the process reads from supervisord's environment (not named in its
    # command): the config is not made without them.
    reads: Tuple[str, ...] = ()

    def ready_url(self, environ: Mapping[str, str]) -> Optional[str]:
        return self.ready.format_map(_Defaults(environ)) if self.ready else None


class _Defaults(dict):
    """The environment, with the embedded defaults for the ports."""

    DEFAULTS = {"HM_BACKENDS_PORT": "8000", "HM_GATEWAY_PORT": "8080",
                "HM_WECHAT_SIM_PORT": "8090", "HM_RASA_TOKEN": ""}

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__({**self.DEFAULTS, **{k: v for k, v in environ.items() if v}})


# In start order; supervisord stops them in the reverse order.
PROGRAMS: Tuple[Program, ...] = (
    # The reference backends API: migrates and seeds the demo members on first start.
    Program("backends", ("python", "-m", "bot.backends", "serve"), "backends API",
            ready="http://127.0.0.1:{HM_BACKENDS_PORT}/health", timeout=60),
    # The action server answers only Rasa (HM_ACTIONS_TOKEN) on 127.0.0.1 (docs/security.md).
    Program("actions", ("python", "-m", "bot.actionserver", "--port", "5055"), "action server",
            ready="http://127.0.0.1:5055/health"),
    # Loading the model takes about a minute: dying within that is a failed start.
    # Its API token comes from HM_RASA_TOKEN, never the command line (bot/rasa_server.py).
    Program("rasa", tuple(rasa_server.command(5005, "models", "endpoints.yml")),
            "Rasa server", ready="http://127.0.0.1:5005/status?token={HM_RASA_TOKEN}",
            startsecs=60, stopwaitsecs=20, timeout=300,
            note="loading the model: about a minute", reads=(rasa_server.TOKEN_SETTING,)),
    Program("gateway", ("python", "-m", "bot.gateway", "serve"), "gateway (web chat, console)",
            ready="http://127.0.0.1:{HM_GATEWAY_PORT}/health", timeout=60),
    # Purges conversations older than HM_RETENTION_DAYS (default 365) once a day (docs/review.md).
    Program("retention", ("python", "-m", "bot.review", "purge", "--every", "24h"),
            "daily purge job", startsecs=5, timeout=60),
    # Every 15 minutes: visit reminders the day before, pre-auth decisions once made, from
    # the backends to the members through the gateway, never twice (docs/operations.md).
    # Both tokens come from the environment: no config is made without them.
    Program("reminders", ("python", "-m", "bot.reminders", "--every", "15m"),
            "reminders job", startsecs=5, timeout=60,
            reads=("HM_GATEWAY_API_TOKEN", "HM_BACKENDS_TOKEN")),
    # Only with HM_WECHAT_DEMO=1 (scripts/run.sh): a simulated WeChat in front of the gateway.
    Program("wechat", ("python", "-m", "bot.wechat_simulator",
                       "--port", env("HM_WECHAT_SIM_PORT"),
                       "--callback", "http://127.0.0.1:" + env("HM_GATEWAY_PORT") + "/wechat",
                       "--token", env("HM_WECHAT_TOKEN"), "--app-id", env("HM_WECHAT_APPID"),
                       "--app-secret", env("HM_WECHAT_APPSECRET"), "--mode", env("HM_WECHAT_MODE"),
                       "--aes-key", env("HM_WECHAT_AES_KEY"),
                       "--template-id", "demo_appointment_reminder",
                       "--template-id", "demo_preauth_result",
                       IfSet("HM_WECHAT_SIM_NOW", ("--now", env("HM_WECHAT_SIM_NOW")))),
            "simulated WeChat", ready="http://127.0.0.1:{HM_WECHAT_SIM_PORT}/_sim/", timeout=60),
)

BY_NAME = {program.name: program for program in PROGRAMS}
DEFAULT = ("backends", "actions", "rasa", "gateway", "retention", "reminders")


def select(names: Tuple[str, ...]) -> Tuple[Program, ...]:
    """The named programs, in start order; an unknown name is an error."""
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown program(s): {', '.join(unknown)} "
                         f"(known: {', '.join(BY_NAME)})")
    return tuple(program for program in PROGRAMS if program.name in names)
