"""Masking members' personal data before it reaches a log."""
from __future__ import annotations


def mask_name(name: str) -> str:
    """陈静 -> 陈*, 欧阳晓明 -> 欧***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_digits(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """13800000001 -> 138****0001; short values are masked entirely."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
