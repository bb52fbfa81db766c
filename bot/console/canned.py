"""Canned replies for managers: the handbook's answers as the bot gives them, read from
the Rasa domain's responses (domain/*.yml), so no answer is copied, and the managers' own
sentences with variables (bot/gateway/messages.py); each found by its shortcode."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Dict, List, Mapping

import yaml

from bot.gateway.messages import CANNED, CANNED_OWN, CANNED_SHORTCODES
from bot.processes import ROOT

logger = logging.getLogger(__name__)

DOMAIN_DIR = ROOT / "domain"


@dataclass(frozen=True)
class CannedReply:
    name: str  # the domain response, e.g. utter_direct_billing, or a manager sentence
    label: str
    text: str
    shortcode: str = ""   # typed in the reply box: /直付

    def filled(self, values: Mapping[str, str]) -> "CannedReply":
        """The text with its variables ({称呼}, {今天}) filled in."""
        text = self.text
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return CannedReply(self.name, self.label, text.lstrip("，"), self.shortcode)


def variables(member_name: str, today: date) -> Dict[str, str]:
    """What the variables stand for in one conversation (an unknown name is left out:
    您好, not 某某您好)."""
    return {"称呼": member_name or "", "今天": f"{today.month}月{today.day}日"}


def domain_responses(domain_dir: Path = DOMAIN_DIR) -> Dict[str, list]:
    responses: Dict[str, list] = {}
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses.update(data.get("responses") or {})
    return responses


def canned_replies(domain_dir: Path = DOMAIN_DIR,
                   wanted: Mapping[str, str] = CANNED) -> List[CannedReply]:
    """The managers' own sentences (with variables), then the wanted responses' first
    plain variant (no condition, no {placeholders}), each with its shortcode."""
    responses = domain_responses(domain_dir)
    replies = [CannedReply(name, label, text, shortcode)
               for name, label, shortcode, text in CANNED_OWN]
    for name, label in wanted.items():
        variants = [v for v in responses.get(name) or []
                    if isinstance(v, dict) and v.get("text") and not v.get("condition")
                    and "{" not in v["text"]]
        if not variants:
            logger.warning("canned reply %s is not a plain response in the domain", name)
            continue
        replies.append(CannedReply(name, label, variants[0]["text"],
                                   CANNED_SHORTCODES.get(name, "")))
    return replies
