"""Read the project's hand-maintained YAML data files, turning every way reading can
fail into the caller's own error type with the file named."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Type


def read_yaml(path: Path, error: Type[Exception], what: str) -> Any:
    """yaml.safe_load of `path`; failures raise `error("<what> <path> ...")`."""
    import yaml  # lazy: keeps importing the rule modules cheap

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML: {exc}") from exc
    except ValueError as exc:
        # PyYAML builds dates while parsing, so 2027-02-30 fails here, not in validation.
        raise error(f"{what} {path} contains an invalid date or value: {exc}") from exc
