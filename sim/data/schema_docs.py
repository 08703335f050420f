"""The data dictionary as Markdown, and keeping ``datasets/README.md`` in step with it."""

from __future__ import annotations

import os
from pathlib import Path

from sim.data import schema

__all__ = ["BEGIN_SCHEMA", "END_SCHEMA", "schema_markdown", "update_schema_doc"]

_KIND_LABELS = {
    "int": "integer",
    "Int": "integer, may be missing",
    "float": "number",
    "str": "text",
    "bool": "true/false",
    "datetime": "datetime",
}


def schema_markdown() -> str:
    """The data dictionary (every table and column of :data:`sim.data.schema.TABLES`) as Markdown.

    ``datasets/README.md`` embeds exactly this text between
    ``<!-- BEGIN SCHEMA -->`` and ``<!-- END SCHEMA -->`` (a test checks it).
    """
    lines: list[str] = []
    for table, cols in schema.TABLES.items():
        lines += [f"### `{table}`", "", "| column | type | meaning |", "|---|---|---|"]
        for c in cols:
            meaning = c.meaning.replace("|", "\\|")
            lines.append(f"| `{c.name}` | {_KIND_LABELS.get(c.kind, c.kind)} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


BEGIN_SCHEMA = "<!-- BEGIN SCHEMA -->"
END_SCHEMA = "<!-- END SCHEMA -->"


def update_schema_doc(file: str | os.PathLike) -> bool:
    """Replace the text between the schema markers of ``file`` with :func:`schema_markdown`.

    Returns True if the file changed.
    """
    file = Path(file)
    text = file.read_text(encoding="utf-8")
    try:
        head, rest = text.split(BEGIN_SCHEMA, 1)
        _, tail = rest.split(END_SCHEMA, 1)
    except ValueError:
        raise schema.SchemaError(f"{file}: missing {BEGIN_SCHEMA} / {END_SCHEMA} markers") from None
    new = f"{head}{BEGIN_SCHEMA}\n{schema_markdown()}{END_SCHEMA}{tail}"
    if new == text:
        return False
    file.write_text(new, encoding="utf-8")
    return True
