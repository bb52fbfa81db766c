"""Jinja2 as the gateway's pages use it (the web chat, the console): autoescape on for
every template, so member text is always escaped."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined


def templates(*directories: Path) -> Environment:
    return Environment(loader=FileSystemLoader([str(d) for d in directories]),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True)
