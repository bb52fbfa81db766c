"""Masking members' personal data before it reaches a log or a chat: the backends use
the masks of bot.privacy, which also finds personal data in members' free text."""
from __future__ import annotations

from bot.privacy import mask_digits, mask_name, mask_policy_number

__all__ = ["mask_digits", "mask_name", "mask_policy_number"]
