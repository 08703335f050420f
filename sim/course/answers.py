"""Answers as plain JSON: how a sheet's answers travel to the checker and the grader.

An answer crosses a process boundary twice: from the student's kernel to the
checker process (the self-check), and from an executed submission to the
grader (the notebook output). Both readers must be safe against a hostile
sender, so the format is JSON with a type tag, never pickle (unpickling runs
code chosen by whoever wrote the bytes): numbers, text, booleans and lists in
JSON, NumPy arrays as ``.npy`` bytes (``allow_pickle=False``), Series and
DataFrames as an Arrow IPC stream. Anything else is recorded by type name
only and checked as "wrong type".

>>> decode_answer(encode_answer(0.25))
0.25
>>> decode_answer(encode_answer(["a", 2, None]))
['a', 2, None]
>>> encode_answer(object())["type"]
'unsupported'
"""

from __future__ import annotations

import base64
import io
import numbers
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ANSWER_MIME",
    "MAX_ANSWER_BYTES",
    "AnswerDecodeError",
    "Unsupported",
    "answers_bundle",
    "decode_answer",
    "display_answers",
    "encode_answer",
]

#: MIME type of a recorded answer in a notebook output (a JSON object).
ANSWER_MIME = "application/vnd.crm-workbench.answer+json"
#: Encoded answers larger than this are recorded as "too large" (the notebook stays small).
MAX_ANSWER_BYTES = 4_000_000
_MAX_DEPTH = 20


class AnswerDecodeError(ValueError):
    """A recorded answer that cannot be read back."""


class Unsupported:
    """Stand-in for an answer whose type cannot be recorded (compared as "wrong type")."""

    def __init__(self, type_name: str, reason: str = "") -> None:
        self.type_name = type_name
        self.reason = reason

    def __repr__(self) -> str:
        return f"<unsupported answer of type {self.type_name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unsupported) and other.type_name == self.type_name

    __hash__ = None  # type: ignore[assignment]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise AnswerDecodeError("binary payload is not text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _float(x: float) -> dict[str, Any]:
    # float.hex round-trips exactly and spells nan/inf, which strict JSON cannot.
    return {"type": "float", "hex": float(x).hex()}


def _arrow(frame: pd.DataFrame) -> str:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return _b64(sink.getvalue().to_pybytes())


def _from_arrow(text: Any) -> pd.DataFrame:
    import pyarrow as pa

    with pa.ipc.open_stream(pa.py_buffer(_unb64(text))) as reader:
        return reader.read_all().to_pandas()


def _encode(value: Any, depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        return {"type": "unsupported", "name": type(value).__name__, "reason": "nested too deep"}
    if value is None:
        return {"type": "none"}
    if value is Ellipsis:
        return {"type": "ellipsis"}
    if isinstance(value, bool | np.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, numbers.Integral):
        return {"type": "int", "value": int(value)}
    if isinstance(value, numbers.Real):
        return _float(float(value))
    if isinstance(value, str):
        return {"type": "str", "value": str(value)}
    if isinstance(value, pd.Timestamp):
        return {"type": "timestamp", "value": value.isoformat()}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return {"type": "list", "items": [_encode(x, depth + 1) for x in value.tolist()]}
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return {"type": "ndarray", "npy": _b64(buf.getvalue())}
    if isinstance(value, pd.Series):
        frame = value.to_frame(name="value")
        return {"type": "series", "name": _encode(value.name, depth + 1), "arrow": _arrow(frame)}
    if isinstance(value, pd.DataFrame):
        return {"type": "frame", "arrow": _arrow(value)}
    if isinstance(value, list | tuple):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"type": kind, "items": [_encode(x, depth + 1) for x in value]}
    if isinstance(value, dict):
        items = [[_encode(k, depth + 1), _encode(v, depth + 1)] for k, v in value.items()]
        return {"type": "dict", "items": items}
    return {"type": "unsupported", "name": type(value).__name__}


def encode_answer(value: Any) -> dict[str, Any]:
    """A JSON-ready record of ``value`` (see the module docstring for the types kept).

    Never raises: a value that cannot be recorded (unknown type, a DataFrame
    Arrow cannot hold, too large) becomes ``{"type": "unsupported", ...}``.
    """
    try:
        record = _encode(value, 0)
    except Exception as exc:  # e.g. a DataFrame with mixed-type object columns
        return {"type": "unsupported", "name": type(value).__name__, "reason": str(exc)[:200]}
    size = len(str(record))
    if size > MAX_ANSWER_BYTES:
        return {"type": "unsupported", "name": type(value).__name__, "reason": "too large"}
    return record


def _decode(record: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH or not isinstance(record, dict):
        raise AnswerDecodeError("malformed answer record")
    kind = record.get("type")
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind == "bool":
        return bool(record["value"])
    if kind == "int":
        value = record["value"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerDecodeError("int record without an integer")
        return value
    if kind == "float":
        return float.fromhex(str(record["hex"]))
    if kind == "str":
        return str(record["value"])
    if kind == "timestamp":
        return pd.Timestamp(str(record["value"]))
    if kind == "ndarray":
        return np.load(io.BytesIO(_unb64(record["npy"])), allow_pickle=False)
    if kind == "series":
        series = _from_arrow(record["arrow"])["value"]
        series.name = _decode(record.get("name", {"type": "none"}), depth + 1)
        return series
    if kind == "frame":
        return _from_arrow(record["arrow"])
    if kind in ("list", "tuple"):
        items = [_decode(x, depth + 1) for x in record["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        out = {}
        for pair in record["items"]:
            key = _decode(pair[0], depth + 1)
            try:
                out[key] = _decode(pair[1], depth + 1)
            except TypeError as exc:  # unhashable key
                raise AnswerDecodeError(str(exc)) from exc
        return out
    if kind == "unsupported":
        return Unsupported(str(record.get("name", "?")), str(record.get("reason", "")))
    raise AnswerDecodeError(f"unknown answer type {kind!r}")


def decode_answer(record: Any) -> Any:
    """The value recorded by :func:`encode_answer` (:class:`AnswerDecodeError` if malformed)."""
    try:
        return _decode(record, 0)
    except AnswerDecodeError:
        raise
    except Exception as exc:  # missing keys, bad base64, bad Arrow/npy bytes, ...
        raise AnswerDecodeError(f"{type(exc).__name__}: {exc}") from exc


def answers_bundle(question: str, value: Any, source: str = "check") -> dict[str, Any]:
    """The JSON object stored under :data:`ANSWER_MIME` for one answer."""
    return {"question": question, "source": source, "answer": encode_answer(value)}


def display_answers(namespace: dict[str, Any], names: dict[str, str]) -> None:
    """Display every answer variable of ``names`` (question → variable) found in ``namespace``.

    The grader appends a cell calling this at the end of a submission, so
    answers are collected even when the sheet never ran their ``check``.
    """
    from IPython.display import display

    found = [(q, var) for q, var in names.items() if var in namespace]
    for question, var in found:
        bundle = answers_bundle(question, namespace[var], source=f"variable {var}")
        display({"text/plain": f"{question}: answer recorded", ANSWER_MIME: bundle}, raw=True)
    if not found:
        print("no answer variables found")
