"""In-sheet self-checks: the answer goes to a checker process, only the verdict comes back.

A sheet's setup cell connects once, naming the sheet::

    from sim.course import check, connect, expect, seed_for

    seed = seed_for(student_id, seed)
    ds = sim.course_dataset(seed=seed)
    connect("05_clv", student_id=student_id, seed=seed, data=ds)

:func:`connect` displays the run's provenance (sheet, student, package
version, the dataset's fingerprint — :data:`~sim.course.checks.SUBMISSION_MIME`)
and starts a checker process (``python -m sim.course.checker``) that computes
the sheet's key from the solutions sheet (:func:`sim.course.answer_key.compute_key`)
while the student works. Each ``check("q1", answer)`` then

1. records a JSON copy of the answer in the cell's output
   (:data:`~sim.course.answers.ANSWER_MIME`), which the grader re-judges in
   its own process;
2. sends the same JSON to the checker and displays what comes back: a
   :class:`~sim.course.checks.CheckResult` (status, hint, points) — never the
   expected value, which exists only in the checker process.

The self-check is advisory: a student who bypasses or fakes it only loses its
feedback, since the grader ignores every verdict a notebook shows. Under the
grader (environment variable :data:`GRADING_ENV` set) no checker is started:
``check`` only records the answer.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
from typing import Any

from .answers import ANSWER_MIME, AnswerDecodeError, decode_answer, encode_answer
from .checks import (
    CHECK_MIME,
    REPORT_MIME,
    SUBMISSION_MIME,
    Checker,
    CheckResult,
    Question,
    _in_ipython,
)

__all__ = [
    "GRADING_ENV",
    "Session",
    "autograde",
    "check",
    "connect",
    "dataset_fingerprint",
    "provenance",
    "report",
    "serve",
]

#: Set (to anything but "" or "0") in the kernels the grader runs: record answers, no checker.
GRADING_ENV = "CRM_WORKBENCH_GRADING"
#: Seconds a check waits for the checker (the first one may wait for the key).
REPLY_TIMEOUT = 600.0


def grading() -> bool:
    """True inside a kernel started by the grader."""
    return os.environ.get(GRADING_ENV, "") not in ("", "0")


def dataset_fingerprint(data: Any) -> str:
    """A short, stable hash of a sheet's data: a Dataset's content checksums, or a table's values.

    Tables are hashed from their CSV text with 6 significant digits, so the
    last bits of a float (which can differ between machines) do not count.
    """
    import pandas as pd

    if data is None:
        return ""
    if hasattr(data, "checksums") and callable(data.checksums):
        payload = json.dumps(data.checksums(), sort_keys=True).encode()
    elif isinstance(data, pd.DataFrame | pd.Series):
        payload = data.to_csv(float_format="%.6g").encode()
    else:
        raise TypeError(f"data must be a Dataset, DataFrame or Series, got {type(data).__name__}")
    return hashlib.sha256(payload).hexdigest()[:16]


def provenance(sheet: str, student_id: str | None, seed: int, data: Any = None) -> dict[str, Any]:
    """The record a sheet's run leaves for the grader (versions, dataset fingerprint)."""
    import numpy as np
    import pandas as pd

    from ..data.dataset import package_version

    return {
        "sheet": sheet,
        "student_id": (student_id or "").strip(),
        "seed": int(seed),
        "package_version": package_version(),
        "dataset": dataset_fingerprint(data),
        "python": ".".join(map(str, sys.version_info[:3])),
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def _describe(record: dict[str, Any]) -> str:
    who = f"student {record['student_id']}" if record["student_id"] else "the class dataset"
    data = f", dataset {record['dataset']}" if record["dataset"] else ""
    return (
        f"self-checks for {record['sheet']}: {who} (seed {record['seed']}), "
        f"crm-workbench {record['package_version']}{data}"
    )


class Session:
    """One sheet's connection to its checker process (started lazily, restarted if it dies)."""

    def __init__(
        self,
        sheet: str,
        student_id: str | None = "",
        seed: int = 0,
        *,
        solutions_dir: str | os.PathLike | None = None,
        record_only: bool = False,
    ) -> None:
        self.sheet = sheet
        self.parameters = {"student_id": student_id or "", "seed": int(seed)}
        self.solutions_dir = str(solutions_dir) if solutions_dir is not None else None
        self.record_only = record_only
        self._proc: subprocess.Popen[bytes] | None = None
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._pending = 0
        self._unavailable = ""  # why there is no key (no solutions sheet in this copy, ...)
        self._lock = threading.Lock()

    # -- process ----------------------------------------------------------------
    def start(self) -> None:
        """Start the checker process and have it compute the key in the background."""
        if self.record_only or self._alive():
            return
        self._replies = queue.Queue()
        self._pending = 0
        self._unavailable = ""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "sim.course.checker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # Its own session: when the kernel shuts down, ipykernel signals the children in
            # its process group and waits for them (seconds); this one ends when the kernel
            # does (atexit below) or, killed, when its stdin closes.
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self._proc,), daemon=True).start()
        self._send(
            {
                "op": "prepare",
                "sheet": self.sheet,
                "parameters": self.parameters,
                "solutions_dir": self.solutions_dir,
            }
        )

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._replies.put(None)  # the process ended

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message).encode() + b"\n")
        self._proc.stdin.flush()
        self._pending += 1

    def _reply(self, timeout: float) -> dict[str, Any]:
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.close()
            return {"ok": False, "kind": "error", "message": "the checker did not answer in time"}
        self._pending -= 1
        if reply is None:
            self._proc = None
            return {"ok": False, "kind": "error", "message": "the checker stopped"}
        if reply.get("op") == "prepare" and not reply.get("ok"):
            self._unavailable = str(reply.get("message", "no key"))
        return reply

    def _request(self, message: dict[str, Any], timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        with self._lock:
            try:
                self.start()
                while self._pending:  # e.g. the "prepare" sent by start()
                    self._reply(timeout)
                if self._unavailable:
                    return {"ok": False, "kind": "unavailable", "message": self._unavailable}
                self._send(message)
                return self._reply(timeout)
            except OSError as exc:  # broken pipe, cannot start a process
                self.close()
                return {"ok": False, "kind": "error", "message": f"the checker failed ({exc})"}

    def close(self) -> None:
        """Stop the checker process."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    # -- checks ---------------------------------------------------------------
    def check(self, question: str, answer: Any, *, show: bool = True) -> CheckResult:
        """Record ``answer``, get the checker's verdict, display both; return the verdict."""
        record = encode_answer(answer)
        if self.record_only:
            result = CheckResult(
                question, "recorded", "answer recorded; the grader gives the verdict", 0.0, 0.0
            )
        else:
            reply = self._request({"op": "check", "question": question, "answer": record})
            result = _result(question, reply)
        if show:
            _display(
                str(result),
                {
                    CHECK_MIME: result.to_dict(),
                    ANSWER_MIME: {"question": question, "source": "check", "answer": record},
                },
            )
            result._shown = True
        return result

    def report(self, *, show: bool = True) -> list[CheckResult]:
        """Verdicts on every question of the sheet (unchecked ones are "not answered yet")."""
        if self.record_only:
            results: list[CheckResult] = []
            text = "answers recorded; the grader gives the verdicts"
        else:
            reply = self._request({"op": "report"})
            if reply.get("ok"):
                results = [CheckResult(**r) for r in reply["results"]]
                got = sum(r.points for r in results)
                total = sum(r.max_points for r in results)
                text = "\n".join([f"score: {got:g} / {total:g}", *map(str, results)])
            else:
                results = []
                text = f"no report: {reply.get('message', 'the checker failed')}"
        if show:
            _display(text, {REPORT_MIME: [r.to_dict() for r in results]})
        return results


def _result(question: str, reply: dict[str, Any]) -> CheckResult:
    if reply.get("ok"):
        return CheckResult(**reply["result"])
    status = "no_check" if reply.get("kind") in ("unavailable", "unknown") else "error"
    return CheckResult(question, status, str(reply.get("message", "no verdict")), 0.0, 0.0)


def _display(text: str, data: dict[str, Any]) -> None:
    if _in_ipython():
        from IPython.display import display

        display({"text/plain": text, **data}, raw=True)
    else:
        print(text)


_session: Session | None = None


def connect(
    sheet: str,
    *,
    student_id: str | None = "",
    seed: int = 0,
    data: Any = None,
    solutions_dir: str | os.PathLike | None = None,
    show: bool = True,
) -> Session | None:
    """Connect this sheet's ``check()`` calls to a checker for ``sheet`` and the student's seed.

    Parameters
    ----------
    sheet
        The sheet's name, e.g. ``"05_clv"`` (its solutions sheet holds the key).
    student_id, seed
        The sheet's parameters (``seed`` after :func:`~sim.course.seed_for`).
    data
        The sheet's dataset (or main table): its fingerprint is recorded so
        the grader can refuse a submission made with other data.
    solutions_dir
        Folder holding the solutions sheet, if not the usual ones.
    show
        Display the provenance record (the grader reads it back).

    Returns
    -------
    Session or None
        ``None`` while the grader or a checker computes the key (then the
        call only records the provenance into the key).
    """
    from .answer_key import current_builder

    global _session
    record = provenance(sheet, student_id, seed, data)
    builder = current_builder()
    if builder is not None:  # we are the key's own setup cell, not a student's kernel
        builder.provenance = record
        return None
    if _session is not None:
        _session.close()
    _session = Session(sheet, student_id, seed, solutions_dir=solutions_dir, record_only=grading())
    if show:
        _display(_describe(record), {SUBMISSION_MIME: record})
    try:
        _session.start()
    except OSError:
        pass  # the first check() retries and reports the failure in words
    return _session


def check(question: str, answer: Any, *, show: bool = True) -> CheckResult:
    """Check ``answer`` to ``question`` on the connected sheet (see :meth:`Session.check`)."""
    if _session is None:
        result = CheckResult(
            question,
            "no_check",
            "self-checks are not connected: run the setup cell first (it calls connect)",
            max_points=0.0,
        )
        if show:
            _display(
                str(result),
                {
                    CHECK_MIME: result.to_dict(),
                    ANSWER_MIME: {
                        "question": question,
                        "source": "check",
                        "answer": encode_answer(answer),
                    },
                },
            )
            result._shown = True
        return result
    return _session.check(question, answer, show=show)


def report(*, show: bool = True) -> list[CheckResult]:
    """Verdicts on every question of the connected sheet (see :meth:`Session.report`)."""
    if _session is None:
        if show:
            _display("no self-checks connected (run the setup cell)", {REPORT_MIME: []})
        return []
    return _session.report(show=show)


_autograder_sessions: dict[tuple[str, str, int, str], Session] = {}


def autograde(
    sheet: str,
    question: str,
    answer: Any,
    *,
    student_id: str | None = "",
    seed: int = 0,
    solutions_dir: str | os.PathLike | None = None,
) -> CheckResult:
    """Pass/fail for an autograder test cell (nbgrader, otter-grader): raise unless right.

    The key is computed by a checker process from the solutions sheet with
    the student's seed, as for :func:`check`; the answer is not recorded and
    nothing is displayed. For example, in an nbgrader "autograder tests" cell::

        from sim.course import autograde
        autograde("05_clv", "q1", answer_q1, student_id=student_id, seed=seed)

    Raises
    ------
    AssertionError
        With the hint ("off by a factor of 100 — …"), unless the answer is right.
    """
    key = (sheet, (student_id or "").strip(), int(seed), str(solutions_dir))
    session = _autograder_sessions.get(key)
    if session is None:
        session = _autograder_sessions[key] = Session(
            sheet, student_id, seed, solutions_dir=solutions_dir
        )
    result = session.check(question, answer, show=False)
    if not result.ok:
        raise AssertionError(f"{question}: {result.message}")
    return result


@atexit.register
def _close_sessions() -> None:
    for session in [_session, *_autograder_sessions.values()]:
        if session is not None:
            session.close()


# ---------------------------------------------------------------- the checker process


def _handle(state: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    from .answer_key import KeyUnavailable, compute_key

    op = message.get("op")
    if op == "prepare":
        state.clear()
        try:
            key = compute_key(
                str(message["sheet"]),
                message.get("parameters") or {},
                solutions_dir=message.get("solutions_dir"),
                resolve=False,
            )
        except KeyUnavailable as exc:
            return {"op": op, "ok": False, "kind": "unavailable", "message": str(exc)}
        except Exception as exc:
            return {"op": op, "ok": False, "kind": "error", "message": f"the key failed: {exc}"}
        state["checker"] = Checker(key.questions)
        # One lock per question: a check waits only for its own question's value, never
        # behind a later question the background thread is computing (a simulation).
        state["locks"] = locks = {q: threading.Lock() for q in key.questions}
        # The expected values are computed in the background, in the sheet's order, while
        # the student (or papermill) works on the questions: a check then usually finds
        # its value ready instead of waiting for it.
        threading.Thread(
            target=_precompute, args=(list(key.questions.values()), locks), daemon=True
        ).start()
        return {"op": op, "ok": True, "questions": list(key.questions)}
    checker: Checker | None = state.get("checker")
    if checker is None:
        return {"op": op, "ok": False, "kind": "unavailable", "message": "no key prepared"}
    if op == "check":
        question = str(message.get("question"))
        if question not in checker.questions:
            return {
                "op": op,
                "ok": False,
                "kind": "unknown",
                "message": f"no check for {question!r} on this sheet",
            }
        try:
            answer = decode_answer(message.get("answer"))
        except AnswerDecodeError as exc:
            return {"op": op, "ok": False, "kind": "error", "message": f"unreadable answer ({exc})"}
        with state["locks"][question]:  # not while the background thread evaluates it
            result = checker.check(question, answer, show=False)
        return {"op": op, "ok": True, "result": result.to_dict()}
    if op == "report":
        results = checker.report(show=False)  # the verdicts given so far: nothing to compute
        return {"op": op, "ok": True, "results": [r.to_dict() for r in results]}
    return {"op": op, "ok": False, "kind": "error", "message": f"unknown request {op!r}"}


def _precompute(questions: list[Question], locks: dict[str, threading.Lock]) -> None:
    """Evaluate each question's expected value in turn, holding that question's lock.

    A failure is left for the check to meet, as if nothing had been computed in
    advance (the callable stays in place and fails again there, with the same
    verdict). The common mistakes' values are left to the first wrong answer:
    computing them here would compete with the student's kernel for the CPU.
    """
    for question in questions:
        with locks[question.question]:
            try:
                question.expected_value()
            except Exception:
                continue


def serve(stdin: Any = None, stdout: Any = None) -> None:
    """The checker process: JSON requests on ``stdin``, one JSON reply per line on ``stdout``."""
    if stdout is None:
        # Replies go to a private copy of stdout; anything the key code prints goes to stderr.
        stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
        sys.stdout = sys.stderr
    stdin = stdin if stdin is not None else sys.stdin
    state: dict[str, Any] = {}
    for line in stdin:
        try:
            message = json.loads(line)
            reply = _handle(state, message) if isinstance(message, dict) else {"ok": False}
        except Exception as exc:  # never die on one bad request
            reply = {"ok": False, "kind": "error", "message": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve()
