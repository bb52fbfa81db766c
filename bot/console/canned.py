"""Canned replies for managers: the handbook's answers as the bot gives them, read from
the Rasa domain's responses (domain/*.yml), so no answer is copied."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping

import yaml

from bot.gateway.messages import CANNED
from bot.processes import ROOT

logger = logging.getLogger(__name__)

DOMAIN_DIR = ROOT / "domain"


@dataclass(frozen=True)
class CannedReply:
    name: str  # the domain response, e.g. utter_direct_billing
    label: str
    text: str


def domain_responses(domain_dir: Path = DOMAIN_DIR) -> Dict[str, list]:
    responses: Dict[str, list] = {}
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses.update(data.get("responses") or {})
    return responses


def canned_replies(domain_dir: Path = DOMAIN_DIR,
                   wanted: Mapping[str, str] = CANNED) -> List[CannedReply]:
    """The wanted responses' first plain variant (no condition, no {placeholders})."""
    responses = domain_responses(domain_dir)
    replies = []
    for name, label in wanted.items():
        variants = [v for v in responses.get(name) or []
                    if isinstance(v, dict) and v.get("text") and not v.get("condition")
                    and "{" not in v["text"]]
        if not variants:
            logger.warning("canned reply %s is not a plain response in the domain", name)
            continue
        replies.append(CannedReply(name, label, variants[0]["text"]))
    return replies
