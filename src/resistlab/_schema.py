"""JSON Schema checks of data files, with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from resistlab.errors import FileFormatError

__all__ = ["check_schema", "field_path", "read_checked_yaml"]


def field_path(path: Any) -> str:
    """Format a JSON path as ``mechanisms[0].markers[2].direction``."""
    out = ""
    for key in path:
        out = f"{out}[{key}]" if isinstance(key, int) else (f"{out}.{key}" if out else str(key))
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def check_schema(data: Any, schema: dict[str, Any], file: str | Path) -> None:
    """Raise `FileFormatError` naming `file` and the field of the most relevant violation.

    >>> check_schema({"a": 1}, {"type": "object", "required": ["b"]}, "x.yaml")
    Traceback (most recent call last):
    ...
    resistlab.errors.FileFormatError: x.yaml, field b: required field is missing
    """
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    where = field_path(error.absolute_path)
    message = error.message
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        where, message = _join(where, missing[0]), "required field is missing"
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        where, message = _join(where, extra[0]), f"unknown field; allowed fields are {allowed}"
    msg = f"{file}, field {where or '(top level)'}: {message}"
    raise FileFormatError(msg)


def read_checked_yaml(file: Path, schema: dict[str, Any]) -> Any:
    """Parse the YAML `file` and check it against `schema`; errors name the file (and field).

    Raises
    ------
    FileFormatError
        The file cannot be read, is not YAML, or breaks the schema.
    """
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        msg = f"{file}: cannot read YAML: {err}"
        raise FileFormatError(msg) from err
    check_schema(data, schema, file)
    return data
