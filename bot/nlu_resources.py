"""Generate the NLU resources derived from the entity catalog (bot/data/catalog.yml).

    python -m bot.nlu_resources            # (re)write the generated files
    python -m bot.nlu_resources --check    # exit 1 if the files on disk are stale

Outputs, relative to the project root:
  data/nlu/catalog_generated.yml   Rasa `synonym:` entries (every alias -> canonical
                                   name) and `lookup:` tables hospital / department /
                                   treatment (names, aliases, ambiguous hospital words).
  data/dictionary/userdict.txt     jieba user dictionary ("word freq tag" per line) so
                                   the tokenizer keeps every name and alias one token,
                                   plus the catalog's service vocabulary (预授权, 直付 ...).

Output is deterministic: catalog order, each word once.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from bot.catalog import Catalog, load_catalog, normalize

ROOT = Path(__file__).resolve().parent.parent
NLU_PATH = Path("data") / "nlu" / "catalog_generated.yml"
USERDICT_PATH = Path("data") / "dictionary" / "userdict.txt"
COMMAND = "python -m bot.nlu_resources"

# jieba frequencies. jieba's default dictionary totals ~6e7 with everyday words such
# as 医院 at ~7,000 and 住院 at ~600: these values make a catalog word beat any split
# of itself and any overlapping everyday word, without dwarfing the rest of the
# dictionary. Canonical names rank above aliases, ambiguous words below both.
FREQ_HOSPITAL_NAME = 3000
FREQ_HOSPITAL_ALIAS = 2000
FREQ_AMBIGUOUS = 1000
FREQ_NAME = 2000  # departments, treatments
FREQ_ALIAS = 1500
FREQ_VOCABULARY = 2000
TAGS = {"hospital": "nt", "department": "n", "treatment": "nz"}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _header(comment: str) -> List[str]:
    return [
        f"{comment} GENERATED FILE, DO NOT EDIT: written by `{COMMAND}`",
        f"{comment} from bot/data/catalog.yml; edit the catalog and rerun the command.",
    ]


def render_nlu(catalog: Catalog) -> str:
    lines = _header("#")
    lines += ['version: "3.1"', "nlu:"]
    for entity_type in ("hospital", "department", "treatment"):
        for entry in catalog.entries(entity_type):
            aliases = [t for t in entry.terms if t != entry.name]
            if not aliases:
                continue
            lines.append(f"- synonym: {_q(entry.name)}")
            lines.append("  examples: |")
            lines += [f"    - {alias}" for alias in aliases]
    for entity_type in ("hospital", "department", "treatment"):
        words: List[str] = []
        for entry in catalog.entries(entity_type):
            words += entry.terms
        if entity_type == "hospital":
            words += list(catalog.ambiguous_aliases)
        lines.append(f"- lookup: {entity_type}")
        lines.append("  examples: |")
        lines += [f"    - {word}" for word in _unique(words)]
    return "\n".join(lines) + "\n"


def _unique(words: Iterable[str]) -> List[str]:
    seen = set()
    out = []
    for word in words:
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def userdict_entries(catalog: Catalog) -> List[Tuple[str, int, str]]:
    """(word, freq, tag) for the jieba user dictionary, in output order.

    Words are written as the catalog spells them. No lower-case variants of Latin
    words: jieba matches dictionary words inside Latin runs, so "ct" would split
    "doctor"; a lower-case "mri" or "pd-1" still tokenises into whole tokens without
    help, and Rasa's synonym mapping is case-insensitive anyway."""
    entries: List[Tuple[str, int, str]] = []
    for entity_type in ("hospital", "department", "treatment"):
        tag = TAGS[entity_type]
        hospital = entity_type == "hospital"
        for entry in catalog.entries(entity_type):
            for term in entry.terms:
                if term == entry.name:
                    freq = FREQ_HOSPITAL_NAME if hospital else FREQ_NAME
                else:
                    freq = FREQ_HOSPITAL_ALIAS if hospital else FREQ_ALIAS
                entries.append((term, freq, tag))
        if hospital:
            entries += [(a, FREQ_AMBIGUOUS, tag) for a in catalog.ambiguous_aliases]
    entries += [(w, FREQ_VOCABULARY, "n") for w in catalog.vocabulary]
    out: List[Tuple[str, int, str]] = []
    seen = set()
    for word, freq, tag in entries:
        if word not in seen:
            seen.add(word)
            out.append((word, freq, tag))
    return out


def render_userdict(catalog: Catalog) -> str:
    lines = _header("#")
    lines += [f"{word} {freq} {tag}" for word, freq, tag in userdict_entries(catalog)]
    return "\n".join(lines) + "\n"


def generate(catalog: Optional[Catalog] = None) -> Dict[Path, str]:
    """Relative output path -> content."""
    catalog = catalog or load_catalog()
    return {NLU_PATH: render_nlu(catalog), USERDICT_PATH: render_userdict(catalog)}


def stale_files(root: Path = ROOT, catalog: Optional[Catalog] = None) -> List[Path]:
    """Generated files whose content on disk differs from what would be generated."""
    stale = []
    for rel, content in generate(catalog).items():
        path = root / rel
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current != content:
            stale.append(rel)
    return stale


def write(root: Path = ROOT, catalog: Optional[Catalog] = None) -> List[Path]:
    """Write the generated files; returns those that changed."""
    changed = []
    for rel, content in generate(catalog).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current != content:
            path.write_text(content, encoding="utf-8")
            changed.append(rel)
    return changed


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.nlu_resources", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the generated files are missing or out of date",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: bot/data/catalog.yml)")
    args = parser.parse_args(argv)
    catalog = load_catalog(args.catalog)
    if args.check:
        stale = stale_files(args.root, catalog)
        if stale:
            names = ", ".join(str(p) for p in stale)
            print(
                f"out of date with bot/data/catalog.yml: {names}; run `{COMMAND}` and commit the result",
                file=sys.stderr,
            )
            return 1
        print("generated NLU resources are up to date")
        return 0
    changed = write(args.root, catalog)
    for rel in changed:
        print(f"wrote {rel}")
    if not changed:
        print("generated NLU resources already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
