"""One page of a review list (the inbox's groups, the conversations)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Tuple


@dataclass(frozen=True)
class Page:
    items: Tuple[Any, ...]  # each with as_json()
    total: int  # matching the filter, over all pages
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_json(self) -> Dict[str, Any]:
        return {"items": [i.as_json() for i in self.items], "total": self.total,
                "page": self.page, "per_page": self.per_page, "pages": self.pages}
