"""The studio's client report and KPI exports: HTML report, CSV and Excel tables.

:func:`build_report` returns one self-contained HTML page (charts embedded as
PNG) that a consultant hands over: the question, the levers moved, the KPI
table with 95 % intervals and "within noise" marks, the charts, the
assumptions every KPI rests on (:func:`sim.studio.app.assumptions`), the seeds
and the sweep SPEC as YAML — ``python -m sim sweep`` on that SPEC reproduces
the numbers. :func:`export_all` writes the report, the KPI table as CSV and as
an Excel workbook (openpyxl). There is no PDF export: no PDF renderer that
keeps the report's layout is installed (print the HTML page to PDF from the
browser if needed).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.studio import whatif

__all__ = ["build_report", "export_all", "kpi_export_table"]


def kpi_export_table(summary: pd.DataFrame, spec: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The sweep summary with each KPI's unit and a ``verdict`` column, numbers unrounded.

    With ``spec``, a ``levers`` column says what each variant changed
    (``retention_uplift=0.3``), so the table stands on its own.
    """
    from sim.studio.app import _describe, results_table

    table = summary.copy()
    if spec is not None:
        variants = dict(spec.get("variants", {}))
        table.insert(1, "levers", [_describe(variants.get(v, {})) for v in table["variant"]])
    table.insert(
        table.columns.get_loc("kpi") + 1,
        "unit",
        [whatif.KPI_DEFINITIONS.get(k, ("", ""))[0] for k in table["kpi"]],
    )
    kpis = tuple(dict.fromkeys(table["kpi"]))
    verdicts = results_table(summary, kpis).set_index(["kpi", "variant"])["verdict"]
    table["verdict"] = [
        verdicts.get((k, v), "") for k, v in zip(table["kpi"], table["variant"], strict=True)
    ]
    return table


def _img(fig) -> str:
    from sim.studio.app import _png

    data = base64.b64encode(_png(fig)).decode()
    return f"<img alt='chart' src='data:image/png;base64,{data}' style='max-width:100%'>"


def _frame_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="t", escape=True, na_rep="–")


def build_report(
    spec: Mapping[str, Any],
    summary: pd.DataFrame,
    monthly: pd.DataFrame | None = None,
    *,
    question: str = "",
    changes: Mapping[str, Any] | None = None,
) -> str:
    """The client report as one HTML page (see the module docstring for its sections).

    Parameters
    ----------
    spec
        The sweep SPEC (plain data) that produced ``summary``.
    summary
        :func:`sim.studio.sweep.summarise` of the sweep folder.
    monthly
        Mean monthly revenue per variant (:func:`sim.studio.app.monthly_from_tasks`).
    question
        The client's question, in the consultant's words.
    changes
        The levers moved: control name → value (:func:`sim.studio.app.changed_values`).
    """
    from sim.charts import whatif as charts
    from sim.studio import app

    loaded = app.validate(spec)
    base = loaded.baseline
    changes = dict(changes or {})
    lever_rows = []
    defaults = app.default_values(spec["baseline"]["preset"])
    by_name = {c.name: c for c in app.CONTROLS}
    for name, value in changes.items():
        c = by_name.get(name)
        if c is not None and c.kind == "markets":
            # one row per market moved: the others keep their baseline share
            for market, n in value.items():
                lever_rows.append(
                    {
                        "lever": f"{c.label}: {market}",
                        "name": f"{c.target}.{market}",
                        "baseline": str(defaults[name].get(market, "")),
                        "variant": str(n),
                        "meaning": c.help,
                    }
                )
            continue
        lever_rows.append(
            {
                "lever": c.label if c else name,
                "name": name,
                "baseline": str(defaults.get(name, "")),
                "variant": str(value),
                "meaning": c.help if c else "",
            }
        )
    levers = pd.DataFrame(lever_rows, columns=["lever", "name", "baseline", "variant", "meaning"])
    results = app.results_table(summary)
    kpis = [k for k in app.HEADLINE_KPIS if k in set(summary["kpi"])]
    definitions = whatif.kpi_definitions().loc[kpis].reset_index()
    seeds = ", ".join(str(s) for s in loaded.seeds)
    pop = base.population
    charts_html = _img(charts.delta_intervals(summary, kpis[:8]))
    if monthly is not None and not monthly.empty:
        charts_html += _img(charts.monthly_figure(monthly))
    facts = app.assumptions(base)
    facts["value"] = [f"{v:,g}" for v in facts["value"]]
    spec_yaml = yaml.safe_dump(dict(spec), sort_keys=False, allow_unicode=True)
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    q = html.escape(question.strip()) or "<i>(no question written)</i>"
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table.t{border-collapse:collapse;font-size:13px;margin:0.5em 0}"
        "table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
        "pre{background:#f6f6f6;padding:1em;overflow:auto}h2{margin-top:1.6em}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What-if report</title>
<style>{style}</style></head><body>
<h1>What-if report</h1>
<p>Prepared with the CRM Workbench what-if studio, {when}.</p>
<h2>The question</h2><p class="question">{q}</p>
<h2>What was simulated</h2>
<p>Baseline: preset <b>{html.escape(str(spec["baseline"]["preset"]))}</b> with
{pop.customers:,} customers over {pop.years:g} years. Every variant is the baseline with the
levers below; each replication simulates all of them with the same seed (common random
numbers), so their differences come from the levers. Seeds: {seeds}.</p>
<h3>Levers</h3>{_frame_html(levers)}
<h2>Results</h2>
<p>Mean over {len(loaded.seeds)} replications with its 95 % interval; the change is the paired
difference against the baseline with its 95 % t interval. <b>Within noise</b>: the interval of
the change includes zero, so these replications cannot tell the change from luck.</p>
{_frame_html(results)}
<h2>Charts</h2>{charts_html}
<h2>Assumptions</h2>
<p>Money KPIs are in EUR over the whole horizon; profit is a contribution after marketing,
service and loyalty costs, not an accounting profit (fixed costs no lever moves are left out).
The costs and rates they rest on:</p>
{_frame_html(facts)}
<h3>KPI definitions</h3>{_frame_html(definitions)}
<h2>Reproduce</h2>
<p>Save this SPEC as <code>spec.yaml</code> and run
<code>python -m sim sweep spec.yaml --out DIR</code>: the same seeds give the same numbers.</p>
<pre class="spec">{html.escape(spec_yaml)}</pre>
</body></html>
"""


def export_all(
    folder: str | os.PathLike,
    *,
    spec: Mapping[str, Any],
    summary: pd.DataFrame,
    monthly: pd.DataFrame | None = None,
    question: str = "",
    changes: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``kpis.csv``, ``kpis.xlsx`` and ``report.html`` into ``folder``; their paths by kind.

    Each file is written to a temporary name and renamed, so a failed export
    leaves the previous files as they were.
    """
    from sim.studio.app import _write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = kpi_export_table(summary, spec)
    report = build_report(spec, summary, monthly, question=question, changes=changes)
    paths = {
        "csv": folder / "kpis.csv",
        "xlsx": folder / "kpis.xlsx",
        "html": folder / "report.html",
    }
    _write_atomic(paths["csv"], table.to_csv(index=False))
    tmp = folder / f".kpis.xlsx.tmp-{os.getpid()}"
    with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name="kpis", index=False)
        levers = pd.DataFrame(
            [(k, str(v)) for k, v in (changes or {}).items()], columns=["lever", "value"]
        )
        levers.to_excel(xl, sheet_name="levers", index=False)
        pd.DataFrame({"spec": yaml.safe_dump(dict(spec), sort_keys=False).splitlines()}).to_excel(
            xl, sheet_name="spec", index=False
        )
    os.replace(tmp, paths["xlsx"])
    _write_atomic(paths["html"], report)
    return paths
