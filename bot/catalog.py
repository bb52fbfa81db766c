"""The entity catalog: network hospitals, departments and treatments, and every way
members name them (bot/data/catalog.yml is the single source of truth).

    catalog = load_catalog()                  # cached; validated on first load
    catalog.hospital_by_alias("上海瑞金")       # -> Hospital(name="瑞金医院", ...)
    catalog.hospital_candidates("人民医院")     # -> several hospitals: ask which one
    catalog.canonical("treatment", "PD-1")    # -> "肿瘤免疫治疗"

Lookups normalise the text first (NFKC, so full-width ＰＥＴ－ＣＴ equals PET-CT;
case-folded, because Rasa's synonym mapper lower-cases; surrounding whitespace
dropped). Nothing is read at import time.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from bot.datafiles import read_yaml

DEFAULT_CATALOG_PATH = Path(__file__).parent / "data" / "catalog.yml"

DEFAULT_UNIT = "特需医疗部"

TREATMENT_CATEGORIES: Tuple[str, ...] = (
    "inpatient",
    "chemotherapy",
    "radiotherapy",
    "targeted",
    "endocrine",
    "immunotherapy",
    "dialysis",
    "anti_rejection",
    "ga_outpatient_surgery",
    "durable_equipment",
    "specified_drug",
    "examination",
    "other",
)

# The Rasa entity names whose values the catalog canonicalises.
ENTITY_TYPES: Tuple[str, ...] = ("hospital", "department", "treatment")

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_BRACKETS = re.compile(r"[()（）]")


class CatalogError(ValueError):
    """The catalog file is malformed; the message says where and why."""


def normalize(text: str) -> str:
    """The form in which names and aliases are compared."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


@dataclass(frozen=True)
class Hospital:
    id: str
    name: str
    full_name: str
    city: str
    unit: str = DEFAULT_UNIT
    aliases: Tuple[str, ...] = ()

    @property
    def terms(self) -> Tuple[str, ...]:
        """Every string that names this hospital: name, full name (when it has no
        brackets and differs from the name) and aliases."""
        extra = ()
        if self.full_name != self.name and not _BRACKETS.search(self.full_name):
            extra = (self.full_name,)
        return (self.name,) + extra + self.aliases


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    aliases: Tuple[str, ...] = ()

    @property
    def terms(self) -> Tuple[str, ...]:
        return (self.name,) + self.aliases


@dataclass(frozen=True)
class Treatment:
    id: str
    name: str
    category: str
    aliases: Tuple[str, ...] = ()

    @property
    def terms(self) -> Tuple[str, ...]:
        return (self.name,) + self.aliases


Entry = Union[Hospital, Department, Treatment]


@dataclass(frozen=True, eq=False)
class Catalog:
    hospitals: Tuple[Hospital, ...]
    departments: Tuple[Department, ...]
    treatments: Tuple[Treatment, ...]
    # ambiguous alias -> ids of the hospitals it may mean (in file order)
    ambiguous_aliases: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    # service words jieba keeps whole; not entities
    vocabulary: Tuple[str, ...] = ()
    source: Optional[Path] = None
    # normalised term -> (entity type, entry); built by _index()
    _terms: Dict[str, Tuple[str, Entry]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _ambiguous: Dict[str, Tuple[str, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ------------------------------------------------------------------ lookups
    def _entry(self, entity_type: str, text: Optional[str]) -> Optional[Entry]:
        if not text:
            return None
        hit = self._terms.get(normalize(text))
        if hit is None or hit[0] != entity_type:
            return None
        return hit[1]

    def hospital_by_alias(self, text: Optional[str]) -> Optional[Hospital]:
        """The hospital `text` names unambiguously (its name, full name or an alias)."""
        return self._entry("hospital", text)  # type: ignore[return-value]

    def department_by_alias(self, text: Optional[str]) -> Optional[Department]:
        return self._entry("department", text)  # type: ignore[return-value]

    def treatment_by_alias(self, text: Optional[str]) -> Optional[Treatment]:
        return self._entry("treatment", text)  # type: ignore[return-value]

    def hospital_candidates(self, text: Optional[str]) -> List[Hospital]:
        """Every hospital `text` may mean: one for a name or alias, several for an
        ambiguous alias (the dialogue then asks which), none when unknown."""
        found = self.hospital_by_alias(text)
        if found is not None:
            return [found]
        if not text:
            return []
        ids = self._ambiguous.get(normalize(text), ())
        return [self.hospital(i) for i in ids]

    def is_ambiguous_hospital(self, text: Optional[str]) -> bool:
        return bool(text) and normalize(text) in self._ambiguous

    def hospital(self, hospital_id: str) -> Hospital:
        for h in self.hospitals:
            if h.id == hospital_id:
                return h
        raise KeyError(hospital_id)

    def department(self, department_id: str) -> Department:
        for d in self.departments:
            if d.id == department_id:
                return d
        raise KeyError(department_id)

    def treatment(self, treatment_id: str) -> Treatment:
        for t in self.treatments:
            if t.id == treatment_id:
                return t
        raise KeyError(treatment_id)

    def hospital_by_name(self, name: str) -> Optional[Hospital]:
        """By canonical name exactly (what the NLU puts in the slot)."""
        for h in self.hospitals:
            if h.name == name:
                return h
        return None

    def canonical(self, entity_type: str, text: Optional[str]) -> Optional[str]:
        """The canonical name for an entity value, or None if the catalog does not
        know it (or it is an ambiguous hospital alias)."""
        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"unknown entity type {entity_type!r}")
        entry = self._entry(entity_type, text)
        return entry.name if entry is not None else None

    def entries(self, entity_type: str) -> Sequence[Entry]:
        if entity_type == "hospital":
            return self.hospitals
        if entity_type == "department":
            return self.departments
        if entity_type == "treatment":
            return self.treatments
        raise ValueError(f"unknown entity type {entity_type!r}")

    def hospitals_in_city(self, city: str) -> List[Hospital]:
        city = city.strip().rstrip("市")
        return [h for h in self.hospitals if h.city == city]

    @property
    def cities(self) -> List[str]:
        """Cities with at least one network hospital, in file order."""
        seen: List[str] = []
        for h in self.hospitals:
            if h.city not in seen:
                seen.append(h.city)
        return seen

    def treatments_in_category(self, category: str) -> List[Treatment]:
        if category not in TREATMENT_CATEGORIES:
            raise ValueError(f"unknown treatment category {category!r}")
        return [t for t in self.treatments if t.category == category]

    def find_treatment(self, text: Optional[str]) -> Optional[Treatment]:
        """The treatment named anywhere in free text: the longest name or alias found
        (PET-CT before CT), the earliest on a tie."""
        haystack = normalize(text or "")
        found = [
            (-len(term), haystack.find(term), entry)
            for term, (entity_type, entry) in self._terms.items()
            if entity_type == "treatment" and term in haystack
        ]
        return min(found, key=lambda hit: hit[:2])[2] if found else None  # type: ignore[return-value]

    def iter_terms(self) -> Iterator[Tuple[str, str, Entry]]:
        """(entity type, term, entry) for every name and alias, in file order."""
        for entity_type in ENTITY_TYPES:
            for entry in self.entries(entity_type):
                for term in entry.terms:
                    yield entity_type, term, entry


# ---------------------------------------------------------------------- loading
def _fail(where: str, message: str) -> CatalogError:
    return CatalogError(f"catalog {where}: {message}")


def _text(raw: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"'{key}' must be a non-empty string, got {value!r}")
    if value != value.strip() or any(ch.isspace() for ch in value):
        raise _fail(where, f"'{key}' must not contain whitespace: {value!r}")
    return value


def _aliases(raw: Mapping[str, Any], where: str) -> Tuple[str, ...]:
    value = raw.get("aliases", [])
    if value is None:
        value = []
    if not isinstance(value, list):
        raise _fail(where, f"'aliases' must be a list, got {type(value).__name__}")
    out = []
    for i, alias in enumerate(value):
        out.append(_text({"alias": alias}, "alias", f"{where} aliases[{i}]"))
    return tuple(out)


def _entries(raw: Mapping[str, Any], section: str) -> List[Mapping[str, Any]]:
    items = raw.get(section)
    if not isinstance(items, list) or not items:
        raise _fail(section, "must be a non-empty list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _fail(f"{section}[{i}]", "must be a mapping")
    return items


def _check_id(item: Mapping[str, Any], where: str, seen: Dict[str, str]) -> str:
    entry_id = item.get("id")
    if not isinstance(entry_id, str) or not _ID_PATTERN.match(entry_id):
        raise _fail(where, f"'id' must be an ascii slug like 'ruijin', got {entry_id!r}")
    if entry_id in seen:
        raise _fail(where, f"duplicate id {entry_id!r} (also {seen[entry_id]})")
    seen[entry_id] = where
    return entry_id


def parse_catalog(raw: Any, source: Optional[Path] = None) -> Catalog:
    """Build and validate a Catalog from the parsed YAML document."""
    if not isinstance(raw, dict):
        raise _fail("file", "top level must be a mapping")
    unknown = set(raw) - {
        "version", "hospitals", "departments", "treatments", "ambiguous_aliases", "vocabulary"
    }
    if unknown:
        raise _fail("file", f"unknown top-level keys {sorted(unknown)}")

    hospitals: List[Hospital] = []
    ids: Dict[str, str] = {}
    for i, item in enumerate(_entries(raw, "hospitals")):
        where = f"hospitals[{i}]"
        entry_id = _check_id(item, where, ids)
        where = f"hospital {entry_id!r}"
        name = _text(item, "name", where)
        hospitals.append(
            Hospital(
                id=entry_id,
                name=name,
                full_name=_text(item, "full_name", where, required=False) or name,
                city=_text(item, "city", where),
                unit=_text(item, "unit", where, required=False) or DEFAULT_UNIT,
                aliases=_aliases(item, where),
            )
        )

    departments: List[Department] = []
    ids = {}
    for i, item in enumerate(_entries(raw, "departments")):
        entry_id = _check_id(item, f"departments[{i}]", ids)
        where = f"department {entry_id!r}"
        departments.append(
            Department(id=entry_id, name=_text(item, "name", where), aliases=_aliases(item, where))
        )

    treatments: List[Treatment] = []
    ids = {}
    for i, item in enumerate(_entries(raw, "treatments")):
        entry_id = _check_id(item, f"treatments[{i}]", ids)
        where = f"treatment {entry_id!r}"
        category = _text(item, "category", where)
        if category not in TREATMENT_CATEGORIES:
            raise _fail(
                where, f"unknown category {category!r}; use one of {', '.join(TREATMENT_CATEGORIES)}"
            )
        treatments.append(
            Treatment(
                id=entry_id,
                name=_text(item, "name", where),
                category=category,
                aliases=_aliases(item, where),
            )
        )

    # Every term belongs to exactly one entry, across all three sections.
    terms: Dict[str, Tuple[str, Entry]] = {}
    for entity_type, group in (
        ("hospital", hospitals),
        ("department", departments),
        ("treatment", treatments),
    ):
        for entry in group:
            for term in entry.terms:
                key = normalize(term)
                if key in terms:
                    other_type, other = terms[key]
                    if other is entry:
                        raise _fail(
                            f"{entity_type} {entry.id!r}", f"{term!r} is listed twice"
                        )
                    raise _fail(
                        f"{entity_type} {entry.id!r}",
                        f"alias {term!r} is already claimed by {other_type} {other.id!r}; "
                        "an alias must name one entry only (a word meaning several "
                        "hospitals belongs under ambiguous_aliases)",
                    )
                terms[key] = (entity_type, entry)

    hospital_ids = {h.id for h in hospitals}
    ambiguous: Dict[str, Tuple[str, ...]] = {}
    raw_ambiguous = raw.get("ambiguous_aliases") or {}
    if not isinstance(raw_ambiguous, dict):
        raise _fail("ambiguous_aliases", "must be a mapping alias -> [hospital ids]")
    for alias, targets in raw_ambiguous.items():
        where = f"ambiguous_aliases {alias!r}"
        alias = _text({"alias": alias}, "alias", where)
        if not isinstance(targets, list) or len(targets) < 2:
            raise _fail(where, "must list at least two hospital ids")
        missing = [t for t in targets if t not in hospital_ids]
        if missing:
            raise _fail(where, f"unknown hospital ids {missing}")
        if len(set(targets)) != len(targets):
            raise _fail(where, "lists a hospital twice")
        key = normalize(alias)
        if key in terms:
            other_type, other = terms[key]
            raise _fail(where, f"is also an alias of {other_type} {other.id!r}")
        if key in ambiguous:
            raise _fail(where, "is listed twice")
        ambiguous[key] = tuple(targets)

    raw_vocabulary = raw.get("vocabulary") or []
    if not isinstance(raw_vocabulary, list):
        raise _fail("vocabulary", "must be a list of words")
    vocabulary: List[str] = []
    seen_words = set()
    for i, word in enumerate(raw_vocabulary):
        word = _text({"word": word}, "word", f"vocabulary[{i}]")
        key = normalize(word)
        if key in terms or key in ambiguous:
            raise _fail(f"vocabulary[{i}]", f"{word!r} is an entity name or alias, not vocabulary")
        if key in seen_words:
            raise _fail(f"vocabulary[{i}]", f"{word!r} is listed twice")
        seen_words.add(key)
        vocabulary.append(word)

    return Catalog(
        hospitals=tuple(hospitals),
        departments=tuple(departments),
        treatments=tuple(treatments),
        ambiguous_aliases={a: tuple(t) for a, t in raw_ambiguous.items()},
        vocabulary=tuple(vocabulary),
        source=source,
        _terms=terms,
        _ambiguous=ambiguous,
    )


def _read(path: Path) -> Catalog:
    raw = read_yaml(path, CatalogError, "catalog")
    try:
        return parse_catalog(raw, source=path)
    except CatalogError as exc:
        raise CatalogError(f"{path}: {exc}") from None


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Catalog:
    return _read(path)


def load_catalog(path: Optional[Union[str, Path]] = None) -> Catalog:
    """The catalog at `path` (default bot/data/catalog.yml), parsed and validated once
    per path and then cached. Raises CatalogError with a precise message."""
    resolved = Path(path) if path is not None else DEFAULT_CATALOG_PATH
    return _load_cached(resolved.resolve())


def clear_cache() -> None:
    _load_cached.cache_clear()
