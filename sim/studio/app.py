"""The what-if studio as an app: levers as controls, a background sweep, results with intervals.

The studio is what a consultant opens in the browser (``make studio`` or
``python -m sim studio``: Voilà serves a one-cell notebook, written by
:func:`serve`, that calls :func:`sim.studio.ui.studio`). Its parts:

- :data:`CONTROLS`: the levers, grouped as a consultant thinks (acquisition,
  retention, service, loyalty, personalisation). Each is a named lever of
  :data:`sim.studio.whatif.LEVERS` or, where the scenario has a field but no
  lever, a scenario override (``service.open_hours``...).
- :class:`Settings` → :func:`build_spec`: the sweep SPEC of
  :mod:`sim.studio.sweep` (baseline = the preset at the chosen size; one variant
  holding every lever changed, optionally one more per changed lever;
  ``replications`` seeds, common random numbers). :func:`spec_hash` keys the
  sweep folder, so running the same settings again reuses finished tasks.
- :class:`History`: every run's settings, time and headline result, one JSON
  file each in ``<home>/history/``, reloaded when the studio starts again.
- :func:`results_table` / :func:`headline`: the summary of a sweep formatted
  for people, with "within noise" where the paired interval crosses zero.
- :class:`Run`: a sweep on a background thread, reporting after each task.
- :func:`serve`: Voilà on a free localhost port with the course kernel.

The widgets are in :mod:`sim.studio.ui` (its :class:`~sim.studio.ui.Studio`):
this module is pure and tested on tiny runs.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import html
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import Scenario, ScenarioError, preset, preset_names
from sim.studio import whatif

__all__ = [
    "CONTROLS",
    "GROUPS",
    "HEADLINE_KPIS",
    "Control",
    "History",
    "Settings",
    "StudioError",
    "build_spec",
    "changed_values",
    "default_home",
    "default_values",
    "headline",
    "lifetime_margin_increase",
    "monthly_from_tasks",
    "per_seed",
    "results_table",
    "retention_for_lifetime_rise",
    "retention_uplift_for_points",
    "spec_hash",
    "sweep_folder",
]

HOME_ENV = "CRM_STUDIO_HOME"
#: KPIs shown in the studio's table and report, in this order.
HEADLINE_KPIS = (
    "profit",
    "revenue",
    "gross_margin",
    "customers",
    "orders",
    "marketing_spend",
    "service_cost",
    "loyalty_cost",
    "repeat_rate",
    "churn",
    "nps",
    "abandonment",
    "cac",
)
GROUPS = ("Acquisition", "Retention", "Service", "Loyalty", "Personalisation")
MAX_REPLICATIONS = 50


class StudioError(ValueError):
    """Settings the studio cannot run: one line naming the control and what is allowed."""


@dataclass(frozen=True)
class Control:
    """One control of the studio: a lever of :data:`~sim.studio.whatif.LEVERS` or a scenario field.

    ``target`` is ``"lever"`` (``name`` is the lever) or a dotted scenario
    field (``"service.open_hours"``) set as an override. ``kind`` is
    ``"float"``, ``"int"``, ``"bool"``, ``"weights"`` (the paid channel mix)
    or ``"markets"`` (a whole number per market: ``markets.agents``).
    """

    name: str
    label: str
    group: str
    kind: str
    target: str = "lever"
    step: float = 0.01
    help: str = ""


CONTROLS: tuple[Control, ...] = (
    Control("acquisition_budget_change", "Paid media budget change", "Acquisition", "float",
            step=0.05, help="relative change: 0.2 = +20 % of the paid media budget"),
    Control("acquisition_elasticity", "Budget elasticity", "Acquisition", "float", step=0.05,
            help="paid leads grow as budget ** e; 1 = constant cost per lead"),
    Control("acquisition_budget_mix", "Paid channel mix (budget weights)", "Acquisition",
            "weights", help="weights per paid channel, normalised to shares of the budget"),
    Control("retention_uplift", "Retention uplift", "Retention", "float",
            help="relative cut of every customer's hazard of being lost (0.05 = 5 % less)"),
    Control("win_back_rate", "Win-back success", "Retention", "float",
            help="chance that a win-back action revives a lost customer"),
    Control("agents", "Contact-centre agents per market", "Service", "markets", "markets.agents",
            step=1, help="each market's centre; the baseline is the brand's total "
            "(service.agents) split by expected customers"),
    Control("open_hours", "Opening hours a day", "Service", "float", "service.open_hours",
            step=0.5, help="calls arrive within the opening hours (at most 24)"),
    Control("first_contact_resolution", "First-contact resolution", "Service", "float",
            "service.first_contact_resolution", step=0.05,
            help="share of contacts solved at the first contact, in (0, 1]"),
    Control("loyalty_enabled", "Loyalty programme on", "Loyalty", "bool"),
    Control("earn_rate", "Points per EUR", "Loyalty", "float", step=0.1),
    Control("reward_threshold", "Points per reward", "Loyalty", "int", step=50),
    Control("expiry_days", "Points expire after (days idle)", "Loyalty", "float", step=30),
    Control("personalisation", "Personalised messages", "Personalisation", "float",
            "campaigns.personalisation", step=0.05,
            help="share of messages targeted to the recipient, 0 to 1"),
)  # fmt: skip
_BY_NAME = {c.name: c for c in CONTROLS}


def _field(scenario: Scenario, target: str) -> Any:
    section, name = target.split(".")
    return getattr(getattr(scenario, section), name)


def _control_target(control: Control) -> str:
    return whatif.LEVERS[control.name].target if control.target == "lever" else control.target


def market_agents(preset_name: str = "default", total: int | None = None) -> dict[str, int]:
    """Each market's agents in the preset: ``total`` (default ``service.agents``) split by share.

    What the per-market agents boxes show for the baseline, and how a brand
    total saved by an older studio (``{"agents": 3}``) is read: as its split,
    the staffing it meant (:func:`sim.world.engine.team_sizes`).
    """
    if total is not None:
        total = _number("Contact-centre agents", total, "int")
        if total < 1:
            raise StudioError(
                f"Contact-centre agents = {total} is not allowed: expected a whole number >= 1"
            )
    return dict(_market_agents(preset_name, total))


@functools.lru_cache(maxsize=64)
def _market_agents(preset_name: str, total: int | None) -> tuple[tuple[str, int], ...]:
    # Cached: the market shares sum over every pair of countries (~20 ms), and every
    # control change rebuilds the SPEC from the preset's defaults.
    from sim.world.engine import team_sizes

    sc = preset(preset_name)
    if total is not None:
        sc = sc.with_overrides({"service": {"agents": total}})
    return tuple((m, int(n)) for m, n in team_sizes(sc)["agents"].items())


def upgrade_values(preset_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Control values with older forms read as today's: a brand-total ``agents`` as its split."""
    out = dict(values)
    agents = out.get("agents")
    if agents is not None and not isinstance(agents, Mapping):
        out["agents"] = market_agents(preset_name, agents)
    return out


def default_values(preset_name: str = "default") -> dict[str, Any]:
    """Every control's value in the preset (the baseline): what the controls show at first."""
    if preset_name not in preset_names():
        raise StudioError(
            f"preset {preset_name!r} is not allowed: expected one of {', '.join(preset_names())}"
        )
    sc = preset(preset_name)
    out: dict[str, Any] = {}
    for c in CONTROLS:
        if c.kind == "weights":
            shares = whatif.acquisition_budget_shares(sc)
            out[c.name] = {k: round(float(v), 4) for k, v in shares.items()}
        elif c.kind == "markets":
            out[c.name] = market_agents(preset_name)
        elif _control_target(c) == "*":  # a relative change: none in the baseline
            out[c.name] = 0.0
        else:
            out[c.name] = _field(sc, _control_target(c))
    return out


@dataclass(frozen=True)
class Settings:
    """What the consultant chose: the population, the replications and the control values.

    ``values`` maps control names (:data:`CONTROLS`) to values; a control not
    named keeps the preset's value. ``per_lever`` adds one variant per changed
    control beside the variant holding them all.
    """

    preset: str = "default"
    customers: int = 2000
    years: float = 1.0
    replications: int = 6
    values: Mapping[str, Any] = field(default_factory=dict)
    per_lever: bool = False
    question: str = ""
    workers: int = 2
    scheduler: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready) for the history."""
        return {
            "preset": self.preset,
            "customers": self.customers,
            "years": self.years,
            "replications": self.replications,
            "values": {
                k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.values.items()
            },
            "per_lever": self.per_lever,
            "question": self.question,
            "workers": self.workers,
            "scheduler": self.scheduler,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """The settings saved by :meth:`to_dict` (unknown keys are ignored)."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def _number(name: str, value: Any, kind: str) -> float | int:
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
        if not ok:
            raise StudioError(f"{name} = {value!r} is not allowed: expected a whole number")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudioError(f"{name} = {value!r} is not allowed: expected a finite number")
    return float(value)


def _weights(name: str, value: Any, default: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(value, Mapping) or set(value) - set(default):
        raise StudioError(
            f"{name} = {value!r} is not allowed: expected weights for {', '.join(default)}"
        )
    w = {k: _number(f"{name}.{k}", value.get(k, 0.0), "float") for k in default}
    bad = [k for k, v in w.items() if v < 0]
    if bad:
        raise StudioError(f"{name}.{bad[0]} = {w[bad[0]]!r} is not allowed: expected a weight >= 0")
    total = sum(w.values())
    if total <= 0:
        raise StudioError(f"{name} is not allowed: the weights sum to 0, expected some budget")
    return {k: v / total for k, v in w.items()}


def changed_values(settings: Settings) -> dict[str, Any]:
    """The controls whose value differs from the preset's, checked: name → value, in CONTROLS order.

    Raises
    ------
    StudioError
        For an unknown control or a value of the wrong kind (the scenario
        checks ranges when the SPEC is built).
    """
    unknown = sorted(set(settings.values) - set(_BY_NAME))
    if unknown:
        raise StudioError(
            f"unknown control(s) {', '.join(unknown)}: expected one of {', '.join(_BY_NAME)}"
        )
    defaults = default_values(settings.preset)
    values = upgrade_values(settings.preset, settings.values)
    out: dict[str, Any] = {}
    for c in CONTROLS:
        if c.name not in values:
            continue
        value, base = values[c.name], defaults[c.name]
        if c.kind == "markets":
            if not isinstance(value, Mapping) or set(value) - set(base):
                raise StudioError(
                    f"{c.label} = {value!r} is not allowed: expected a number for each of "
                    f"{', '.join(base)}"
                )
            # only the markets moved from their baseline split: the others keep their share
            moved = {m: _number(f"{c.label}: {m}", value[m], "int") for m in base if m in value}
            moved = {m: v for m, v in moved.items() if v != base[m]}
            if moved:
                out[c.name] = moved
        elif c.kind == "weights":
            shares = _weights(c.label, value, base)
            if any(abs(shares[k] - base[k]) > 5e-4 for k in base):
                out[c.name] = {k: round(v, 6) for k, v in shares.items()}
                # exact sum of 1 after rounding, as the lever requires
                last = list(base)[-1]
                out[c.name][last] = round(1.0 - sum(v for k, v in out[c.name].items()
                                                    if k != last), 6)  # fmt: skip
        elif c.kind == "bool":
            if not isinstance(value, bool):
                raise StudioError(f"{c.label} = {value!r} is not allowed: expected on or off")
            if value != base:
                out[c.name] = value
        else:
            v = _number(c.label, value, c.kind)
            if not math.isclose(v, base, rel_tol=1e-9, abs_tol=1e-12):
                out[c.name] = v
    return out


def _definition(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A sweep variant holding ``changes``: levers under ``levers``, other fields as overrides."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        c = _BY_NAME[name]
        if c.target == "lever":
            out.setdefault("levers", {})[name] = value
        else:
            section, fname = c.target.split(".")
            out.setdefault(section, {})[fname] = value
    return out


def _label(name: str, value: Any) -> str:
    # no ':' or '/': a label names a sweep variant's folder
    if isinstance(value, Mapping):
        return (
            name
            + "("
            + ",".join(
                f"{k}={v}" if isinstance(v, int) else f"{k}={v:.2f}" for k, v in value.items()
            )
            + ")"
        )
    return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"


def build_spec(settings: Settings) -> dict[str, Any]:
    """The sweep SPEC (plain data, :func:`sim.studio.sweep.load_spec` form) for these settings.

    The baseline is the preset with the chosen population; the variant
    ``all changes`` holds every changed control, and with ``per_lever`` one
    variant per changed control shows each one's share. Seeds are
    ``0..replications-1`` for every variant (common random numbers).

    Raises
    ------
    StudioError
        For bad settings or no control changed; the message names the control.
        Range errors of the scenario (e.g. ``retention_uplift = 1.5``) are
        raised by :func:`validate` on the SPEC.
    """
    if settings.preset not in preset_names():
        raise StudioError(
            f"preset {settings.preset!r} is not allowed: expected one of {', '.join(preset_names())}"
        )
    customers = _number("customers", settings.customers, "int")
    years = _number("years", settings.years, "float")
    reps = _number("replications", settings.replications, "int")
    if not 2 <= reps <= MAX_REPLICATIONS:
        raise StudioError(
            f"replications = {reps} is not allowed: expected 2 to {MAX_REPLICATIONS} "
            "(a paired interval needs at least two)"
        )
    changes = changed_values(settings)
    if not changes:
        raise StudioError("no lever changed: move at least one control away from the baseline")
    variants = {"all changes": _definition(changes)}
    if settings.per_lever and len(changes) > 1:
        for name, value in changes.items():
            variants[_label(name, value)] = _definition({name: value})
    return {
        "name": "studio",
        "description": settings.question,
        "baseline": {"preset": settings.preset,
                     "population": {"customers": customers, "years": years}},
        "variants": variants,
        "replications": reps,
    }  # fmt: skip


def validate(spec: Mapping[str, Any]):
    """Load the SPEC with the sweep engine (every scenario built); a one-line StudioError if not."""
    from sim.studio import sweep

    try:
        return sweep.load_spec(dict(spec))
    except (ScenarioError, ValueError, TypeError) as err:
        raise StudioError(" ".join(str(err).split())) from None


def spec_hash(spec: Mapping[str, Any]) -> str:
    """A short hash of the SPEC's content (not its description): the name of its sweep folder."""
    content = {k: v for k, v in spec.items() if k not in ("description", "name")}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_home() -> Path:
    """The studio's folder: ``$CRM_STUDIO_HOME`` or ``~/.crm-workbench/studio``."""
    env = os.environ.get(HOME_ENV)
    return Path(env) if env else Path.home() / ".crm-workbench" / "studio"


def sweep_folder(home: str | os.PathLike, spec: Mapping[str, Any]) -> Path:
    """Where the sweep of ``spec`` lives under ``home``: same settings, same folder."""
    return Path(home) / "sweeps" / spec_hash(spec)


# --------------------------------------------------------------------------- history


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class History:
    """The decision history: one JSON file per run in ``<home>/history/``, oldest first.

    An entry holds ``id``, ``when`` (UTC, ISO), ``question``, ``settings``
    (:meth:`Settings.to_dict`), ``spec``, ``folder`` and ``headline`` (set when
    the run ends). Files that are not the studio's are ignored, never touched.
    """

    def __init__(self, home: str | os.PathLike) -> None:
        self.folder = Path(home) / "history"

    def add(self, settings: Settings, spec: Mapping[str, Any], folder: str | os.PathLike) -> dict:
        """Record a run that starts now; returns its entry."""
        now = _dt.datetime.now(_dt.UTC)
        entry = {
            "id": f"{now:%Y%m%dT%H%M%S%f}-{spec_hash(spec)}",
            "when": now.isoformat(timespec="seconds"),
            "question": settings.question,
            "settings": settings.to_dict(),
            "spec": dict(spec),
            "folder": str(folder),
            "headline": "running",
        }
        self._save(entry)
        return entry

    def update(self, entry_id: str, **fields: Any) -> dict:
        """Change fields of an entry (e.g. its ``headline`` when the run ends)."""
        entry = self.get(entry_id)
        entry.update(fields)
        self._save(entry)
        return entry

    def get(self, entry_id: str) -> dict:
        """The entry called ``entry_id``."""
        path = self.folder / f"run-{entry_id}.json"
        if not path.is_file():
            raise StudioError(f"history entry {entry_id!r} not found in {self.folder}")
        return json.loads(path.read_text(encoding="utf-8"))

    def entries(self) -> list[dict]:
        """Every entry, oldest first (unreadable files are skipped)."""
        out = []
        for path in sorted(self.folder.glob("run-*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and "settings" in entry:
                out.append(entry)
        return out

    def table(self) -> pd.DataFrame:
        """The history as a table: when, question, changed levers, replications, headline."""
        rows = []
        for e in self.entries():
            s = e["settings"]
            levers = e["spec"].get("variants", {}).get("all changes", {})
            rows.append(
                {
                    "when": e["when"],
                    "question": e.get("question", ""),
                    "changes": _describe(levers),
                    "population": f"{s['customers']:,} × {s['years']:g} y",
                    "replications": s["replications"],
                    "headline": e.get("headline", ""),
                    "id": e["id"],
                }
            )
        return pd.DataFrame(rows, columns=["when", "question", "changes", "population",
                                           "replications", "headline", "id"])  # fmt: skip

    def _save(self, entry: Mapping[str, Any]) -> None:
        _write_atomic(self.folder / f"run-{entry['id']}.json", json.dumps(entry, indent=1))


def _describe(definition: Mapping[str, Any]) -> str:
    parts = []
    for key, value in definition.items():
        if key == "levers":
            parts += [_label(k, v) for k, v in value.items()]
        elif isinstance(value, Mapping):
            parts += [_label(f"{key}.{k}", v) for k, v in value.items()]
    return ", ".join(parts)


# --------------------------------------------------------------------------- results


def _fmt(value: float, kpi: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    unit = whatif.KPI_DEFINITIONS.get(kpi, ("", ""))[0]
    if unit == "share":
        return f"{100 * value:.1f} %".replace("-", "−")
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return text.replace("-", "−")


def _fmt_diff(value: float, kpi: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    unit = whatif.KPI_DEFINITIONS.get(kpi, ("", ""))[0]
    if unit == "share":
        return f"{100 * value:+.1f} pt".replace("-", "−")
    text = _fmt(abs(value), kpi)
    return ("+" if value >= 0 else "−") + text


def results_table(summary: pd.DataFrame, kpis: tuple[str, ...] = HEADLINE_KPIS) -> pd.DataFrame:
    """The sweep summary for people: per KPI and variant, mean with its 95 % interval and the change.

    ``summary`` has the columns of :func:`sim.studio.sweep.summarise`. Columns
    of the result: ``kpi``, ``variant``, ``mean``, ``interval``, ``change``,
    ``change interval`` and ``verdict`` — "within noise" where the paired
    interval of the change crosses zero (or is not known yet), otherwise
    "up" or "down". Shares are in %, their changes in points.
    """
    rows = []
    if summary is None or summary.empty:
        return pd.DataFrame(columns=["kpi", "variant", "mean", "interval", "change",
                                     "change interval", "verdict"])  # fmt: skip
    for kpi in [k for k in kpis if k in set(summary["kpi"])]:
        part = summary[summary["kpi"] == kpi]
        for _, r in part.iterrows():
            is_base = r["variant"] == "baseline"
            d, lo, hi = (float(r[c]) if pd.notna(r[c]) else math.nan
                         for c in ("diff", "diff_low", "diff_high"))  # fmt: skip
            if is_base:
                verdict = ""
            elif lo == hi == 0:
                verdict = "no change"  # the same in every replication
            elif not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 <= hi:
                verdict = "within noise"
            else:
                verdict = "up" if d > 0 else "down"
            rows.append(
                {
                    "kpi": kpi,
                    "variant": r["variant"],
                    "mean": _fmt(float(r["mean"]), kpi),
                    "interval": f"[{_fmt(float(r['ci_low']), kpi)}, {_fmt(float(r['ci_high']), kpi)}]",
                    "change": "" if is_base else _fmt_diff(d, kpi),
                    "change interval": "" if is_base
                    else f"[{_fmt_diff(lo, kpi)}, {_fmt_diff(hi, kpi)}]",
                    "verdict": verdict,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def results_html(table: pd.DataFrame) -> str:
    """The formatted results as an HTML table; "within noise" rows greyed, ups and downs marked."""
    if table.empty:
        return "<p class='studio-empty'>No results yet.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for _, r in table.iterrows():
        cls = {"within noise": "noise", "no change": "noise", "up": "up", "down": "down"}.get(
            r["verdict"], "base"
        )
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in r)
        body.append(f"<tr class='{cls}'>{cells}</tr>")
    style = (
        "<style>.studio-kpis{border-collapse:collapse;font-size:13px}"
        ".studio-kpis td,.studio-kpis th{padding:2px 8px;border-bottom:1px solid #ddd;"
        "text-align:right}.studio-kpis td:first-child,.studio-kpis td:nth-child(2)"
        "{text-align:left}.studio-kpis tr.noise td{color:#777}"
        ".studio-kpis tr.up td:last-child{color:#1a7f37;font-weight:600}"
        ".studio-kpis tr.down td:last-child{color:#b42318;font-weight:600}"
        ".studio-kpis tr.base td{background:#f6f6f6}</style>"
    )
    return (
        f"{style}<table class='studio-kpis'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def headline(summary: pd.DataFrame, kpi: str = "profit", variant: str = "all changes") -> str:
    """One line for the history: the variant's change of ``kpi`` with its interval and verdict."""
    if summary is None or summary.empty:
        return "no result"
    row = summary[(summary["kpi"] == kpi) & (summary["variant"] == variant)]
    if row.empty:
        return "no result"
    r = row.iloc[0]
    table = results_table(summary[summary["kpi"] == kpi], (kpi,))
    verdict = table.loc[table["variant"] == variant, "verdict"].iloc[0]
    return (
        f"{kpi} {_fmt_diff(float(r['diff']), kpi)} "
        f"[{_fmt_diff(float(r['diff_low']), kpi)}, {_fmt_diff(float(r['diff_high']), kpi)}] "
        f"({verdict})"
    )


def monthly_from_tasks(out: str | os.PathLike) -> pd.DataFrame:
    """Mean monthly revenue per variant over the finished tasks (rows months, columns variants)."""
    cols: dict[str, list[pd.Series]] = {}
    for path in sorted(Path(out).glob("tasks/*/seed-*.json")):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file being written by another process
        monthly = row.get("monthly_revenue")
        if monthly:
            cols.setdefault(row["variant"], []).append(pd.Series(monthly, dtype=float))
    if not cols:
        return pd.DataFrame()
    frame = pd.DataFrame(
        {v: pd.concat(s, axis=1).fillna(0.0).mean(axis=1) for v, s in cols.items()}
    )
    frame = frame.sort_index().fillna(0.0)
    order = ["baseline", *[c for c in frame.columns if c != "baseline"]]
    frame = frame[[c for c in order if c in frame.columns]]
    frame.index = pd.PeriodIndex(frame.index, freq="M")
    frame.index.name = "month"
    return frame


def assumptions(scenario: Scenario) -> pd.DataFrame:
    """Every fixed cost and rate the KPIs rest on, for the report (name, value, unit, meaning)."""
    sc = scenario
    rows = [
        ("agent cost per year", whatif.AGENT_COST_PER_YEAR, "EUR",
         "fully loaded cost of a contact-centre agent (service_cost)"),
        ("shared traffic", sc.service.shared_traffic, "Erlangs",
         "other brands' calls; they fund that many agents"),
        ("gross margin rate", sc.purchases.gross_margin, "share",
         "cost of goods = (1 − rate) × gross amount"),
        ("advisor cost per task", sc.advisors.cost_per_task, "EUR", "booked as retention spend"),
        ("loyalty running cost", sc.loyalty.running_cost_per_member, "EUR / member / year",
         "platform, statements, service"),
        ("loyalty point value", sc.loyalty.point_value, "EUR / point",
         "discount per point redeemed; liability valued at this"),
        ("paid media budget", sc.acquisition.budget, "× baseline", "acquisition.budget"),
        ("budget saturation", sc.acquisition.saturation, "elasticity",
         "paid leads grow as budget ** e"),
    ]  # fmt: skip
    from sim.world.engine import team_sizes

    staffed = team_sizes(sc)["agents"]
    for m, n in staffed.items():
        how = "markets.agents" if m in sc.markets.agents else (
            f"its share of service.agents = {sc.service.agents}")  # fmt: skip
        rows.append((f"agents: {m}", n, "agents", f"the market's contact centre ({how})"))
    for ch, v in sc.acquisition.cost_per_lead.items():
        rows.append((f"cost per lead: {ch}", float(v), "EUR", "every lead is paid for"))
    for ch, v in sc.campaigns.cost_per_message.items():
        rows.append((f"cost per message: {ch}", float(v), "EUR", "booked as retention spend"))
    return pd.DataFrame(rows, columns=["assumption", "value", "unit", "meaning"])


# --------------------------------------------------------------------------- retention in points


def retention_uplift_for_points(retention: float, points: float = 0.05) -> float:
    """The ``experience.retention_uplift`` meant to raise a yearly retention by ``points``.

    The world's ``retention_uplift`` u is a relative cut of every customer's
    hazard of being lost: h → (1 − u)·h. If a year's retention r is the
    survival exp(−H) of that hazard, the cut gives r' = exp(−(1 − u)H) =
    r^(1 − u); asking r' = r + points gives u = 1 − ln(r + points) / ln(r).
    Customers who are alive but buy nothing in a year also count against the
    measured retention, so the achieved rise is measured afterwards (a sweep).

    >>> round(retention_uplift_for_points(0.5, 0.05), 4)
    0.1375
    """
    r, p = float(retention), float(points)
    if not 0 < r < 1:
        raise StudioError(f"retention = {retention!r} is not allowed: expected a share in (0, 1)")
    if not 0 < p < 1 - r:
        raise StudioError(
            f"points = {points!r} is not allowed: expected a rise in (0, {1 - r:.4g}) for "
            f"a retention of {r:.4g}"
        )
    return 1.0 - math.log(r + p) / math.log(r)


def lifetime_margin_increase(retention, retention_new, discount_rate: float):
    """Relative rise of a customer's lifetime margin when yearly retention goes from r to r'.

    The lifetime margin of a customer with a yearly margin m, counting the
    first year, is m · Σₜ (r / (1 + d))ᵗ = m / (1 − r / (1 + d)); m cancels in
    the ratio, so the rise is (1 − r/(1+d)) / (1 − r'/(1+d)) − 1. Works on
    numbers or arrays (one value per replication).

    >>> round(float(lifetime_margin_increase(0.6, 0.65, 0.1)), 4)
    0.1111
    """
    import numpy as np

    r, r2 = np.asarray(retention, float), np.asarray(retention_new, float)
    q0, q1 = r / (1 + discount_rate), r2 / (1 + discount_rate)
    return (1 - q0) / (1 - q1) - 1


def retention_for_lifetime_rise(points: float, rise: float, discount_rate: float) -> float:
    """The yearly retention r at which ``points`` more retention raise the lifetime margin by ``rise``.

    Inverts :func:`lifetime_margin_increase`: with q = 1 + d,
    (q − r) / (q − r − p) = 1 + g gives r = q − p (1 + g) / g. It says where a
    claim such as "5 % more retention, +50 % lifetime profit" can hold on the
    lifetime-margin formula. A result outside (0, 1 − p) means that no yearly
    retention gives that rise.

    >>> round(retention_for_lifetime_rise(0.05, 0.5, 0.1), 4)
    0.95
    """
    p, g, d = float(points), float(rise), float(discount_rate)
    if not 0 < p < 1:
        raise StudioError(f"points = {points!r} is not allowed: expected a rise in (0, 1)")
    if not g > 0:
        raise StudioError(f"rise = {rise!r} is not allowed: expected a relative rise > 0")
    if not d >= 0:
        raise StudioError(f"discount_rate = {discount_rate!r} is not allowed: expected >= 0")
    return 1.0 + d - p * (1.0 + g) / g


def per_seed(out: str | os.PathLike, kpi: str) -> pd.DataFrame:
    """One KPI of every finished task of a sweep folder: rows seeds, columns variants."""
    from sim.studio import sweep

    rows = sweep.read_rows(out)
    table = pd.DataFrame(
        [{"seed": r["seed"], "variant": r["variant"], kpi: r["kpis"].get(kpi)} for r in rows]
    )
    return table.pivot(index="seed", columns="variant", values=kpi).astype(float)


# --------------------------------------------------------------------------- running


class Run:
    """A sweep on a background thread; :attr:`state` says where it is.

    ``on_change`` is called (from the thread) after each finished task and at
    the end; it must not raise. ``error`` holds a one-line message when the
    run could not start or stopped (the studio shows it).
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        out: Path,
        *,
        workers: int = 2,
        scheduler: str = "",
        on_change: Callable[[Run], None] | None = None,
    ) -> None:
        self.spec, self.out = dict(spec), Path(out)
        self.workers, self.scheduler = workers, scheduler
        self.on_change = on_change
        self.state = "waiting"
        self.error = ""
        self.done = 0
        self.total = 0
        self.started = math.nan
        self.first_result = math.nan
        self.ended = math.nan
        self.thread = threading.Thread(target=self._main, daemon=True, name="studio-sweep")

    def start(self) -> Run:
        """Start the thread (returns at once)."""
        self.started = time.perf_counter()
        self.state = "running"
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the end; True when it ended."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _notify(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception:  # a display problem must not stop the sweep
                pass

    def _on_task(self, row: Mapping[str, Any]) -> None:
        self.done += 1
        if not math.isfinite(self.first_result):
            self.first_result = time.perf_counter()
        self._notify()

    def _main(self) -> None:
        from sim.studio import sweep

        try:
            spec = validate(self.spec)
            self.total = len(spec.variants) * len(spec.seeds)
            self.done = int(sweep.status(self.out)["done"]) if self.out.exists() else 0
            self._notify()
            options: dict[str, Any] = {"progress": False, "on_task": self._on_task}
            if self.scheduler:
                options["scheduler"] = self.scheduler
            else:
                options["workers"] = self.workers
            result = sweep.run_sweep(spec, self.out, **options)
            failed = len(getattr(result, "failures", []) or [])
            self.state = "failed tasks" if failed else "finished"
            if failed:
                self.error = f"{failed} task(s) kept failing; see {self.out / 'failures.json'}"
        except Exception as err:  # shown in the app as one line, never a traceback
            self.state = "error"
            self.error = " ".join(str(err).split()) or type(err).__name__
        finally:
            self.ended = time.perf_counter()
            self._notify()


# --------------------------------------------------------------------------- charts


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


# --------------------------------------------------------------------------- serving

NOTEBOOK_NAME = "studio.ipynb"


def notebook_json(kernel: str = "crm-workbench") -> dict[str, Any]:
    """The notebook Voilà serves: one code cell that shows :func:`studio` (Voilà hides the code)."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": ["from sim.studio.ui import studio\n", "\n", "studio()"],
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "CRM Workbench (Python 3)", "language": "python",
                           "name": kernel},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(notebook: str | os.PathLike, port: int, open_browser: bool) -> list[str]:
    """The command that serves ``notebook`` with Voilà on 127.0.0.1:``port`` (no tracebacks)."""
    import sys

    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}",
           "--Voila.ip=127.0.0.1", "--VoilaConfiguration.show_tracebacks=False",
           "--VoilaConfiguration.strip_sources=True"]  # fmt: skip
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def serve(
    port: int | None = None, open_browser: bool = True, home: str | os.PathLike | None = None
) -> int:
    """Serve the studio with Voilà until Ctrl-C; returns Voilà's exit status.

    Registers the course kernel (``crm-workbench``) if it is missing, writes
    the studio's notebook into ``<home>/app/`` and starts Voilà on a free
    localhost port (or ``port``). ``home`` (default :func:`default_home`) holds
    the sweeps and the decision history; the kernel finds it through
    ``$CRM_STUDIO_HOME``.
    """
    import subprocess

    from sim.course.lab import KERNEL_NAME, ensure_kernel

    if port is not None and (isinstance(port, bool) or not 1 <= int(port) <= 65535):
        raise StudioError(f"port = {port!r} is not allowed: expected 1 to 65535")
    home = Path(home) if home is not None else default_home()
    home.mkdir(parents=True, exist_ok=True)
    ensure_kernel()
    notebook = home / "app" / NOTEBOOK_NAME
    _write_atomic(notebook, json.dumps(notebook_json(KERNEL_NAME), indent=1))
    port = int(port) if port is not None else free_port()
    env = dict(os.environ, **{HOME_ENV: str(home.resolve())})
    print(f"What-if studio on http://127.0.0.1:{port}/ (Ctrl-C to stop); folder {home}", flush=True)
    proc = subprocess.Popen(voila_command(notebook, port, open_browser), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130


def _port(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a port from 1 to 65535")
    return value


def register_studio(sub) -> None:
    """Add the ``studio`` subcommand to ``python -m sim``'s subparsers."""
    p = sub.add_parser("studio", help="open the what-if studio in the browser (Voilà)")
    p.add_argument("--port", type=_port, metavar="N", help="port (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--home",
        metavar="DIR",
        help=f"folder of the sweeps and the decision history (default: ${HOME_ENV} "
        "or ~/.crm-workbench/studio)",
    )
    p.set_defaults(
        func=lambda args: serve(args.port, open_browser=not args.no_browser, home=args.home)
    )
