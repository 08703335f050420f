"""The what-if studio's widgets: the app Voilà shows, over the pure parts of :mod:`sim.studio.app`.

:class:`Studio` lays out the controls (:data:`sim.studio.app.CONTROLS` in
their groups), the population and replications, a settings panel (local
workers, a Dask scheduler address, one variant per lever), the Run button and
progress bar, the results (KPI table with paired 95 % intervals and "within
noise" marks, delta chart, monthly revenue), the export links and the
decision history. A run goes on a background thread (:class:`sim.studio.app.Run`);
results are drawn into ``HTML`` and ``Image`` widgets as tasks finish, so the
app answers while it runs. Every problem becomes a message in the app.
"""

from __future__ import annotations

import base64
import html
import math
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import preset_names
from sim.studio.app import (
    CONTROLS,
    GROUPS,
    HEADLINE_KPIS,
    Control,
    History,
    Run,
    Settings,
    StudioError,
    _png,
    build_spec,
    changed_values,
    default_home,
    default_values,
    headline,
    monthly_from_tasks,
    results_html,
    results_table,
    sweep_folder,
    upgrade_values,
    validate,
)

__all__ = ["REDRAW_SECONDS", "Studio", "studio"]

#: While a run goes, the results are redrawn at most this often.
REDRAW_SECONDS = 2.0


def _download_link(name: str, data: bytes, mime: str, label: str) -> str:
    b64 = base64.b64encode(data).decode()
    return (
        f"<a class='studio-download' download='{html.escape(name)}' "
        f"href='data:{mime};base64,{b64}' style='margin-right:1em'>{html.escape(label)}</a>"
    )


class Studio:
    """The studio's widgets over the pure parts above; :attr:`widget` is what Voilà shows."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        import ipywidgets as w

        self.home = Path(home) if home is not None else default_home()
        self.history = History(self.home)
        self.run: Run | None = None
        self.entry: dict | None = None
        self.summary = pd.DataFrame()
        self._lock = threading.Lock()
        self._drawn = -math.inf

        lay = w.Layout(width="330px")
        style = {"description_width": "170px"}
        self.preset = w.Dropdown(options=preset_names(), value="default", description="Preset",
                                 layout=lay, style=style)  # fmt: skip
        self.customers = w.IntText(value=2000, description="Customers", layout=lay, style=style)
        self.years = w.FloatText(value=1.0, description="Years", layout=lay, style=style)
        self.replications = w.IntText(value=6, description="Replications (seeds)",
                                      layout=lay, style=style)  # fmt: skip
        self.question = w.Textarea(placeholder="The client's question, e.g. what is a retention "
                                   "programme worth?", description="Question",
                                   layout=w.Layout(width="660px", height="48px"))  # fmt: skip
        self.per_lever = w.Checkbox(value=False, description="one variant per changed lever",
                                    indent=False)  # fmt: skip
        self.workers = w.IntText(value=2, description="Local workers", layout=lay, style=style)
        self.scheduler = w.Text(value="", placeholder="tcp://host:8786 (empty: local workers)",
                                description="Dask scheduler", layout=lay, style=style)  # fmt: skip
        for name in ("preset", "customers", "years", "replications", "workers", "scheduler"):
            getattr(self, name).add_class(f"studio-{name}")
        self.controls: dict[str, Any] = {}
        groups = []
        defaults = default_values("default")
        for g in GROUPS:
            items = []
            for c in (c for c in CONTROLS if c.group == g):
                items.append(self._control(w, c, defaults[c.name], lay, style))
            groups.append(w.VBox(items))
        self.levers = w.Accordion(children=groups, titles=GROUPS)
        self.levers.selected_index = 1
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.reset_button = w.Button(description="Reset levers", icon="undo")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Tasks",
                                      layout=w.Layout(width="420px"))  # fmt: skip
        self.status = w.HTML("Ready. Change a lever and press Run.")
        self.message = w.HTML("")
        self.table = w.HTML(results_html(pd.DataFrame()))

        # hidden until drawn (an empty image shows as a broken icon)
        self.delta_chart = w.Image(format="png", layout=w.Layout(max_width="900px", display="none"))
        self.monthly_chart = w.Image(format="png",
                                     layout=w.Layout(max_width="900px", display="none"))  # fmt: skip
        self.export_button = w.Button(description="Export", icon="download", disabled=True)
        self.downloads = w.HTML("")
        self.history_html = w.HTML("")
        self.history_pick = w.Dropdown(
            options=[], description="Run", layout=w.Layout(width="520px")
        )
        self.load_button = w.Button(description="Load settings", icon="folder-open")

        self.run_button.on_click(lambda _: self.start())
        self.reset_button.on_click(lambda _: self.set_values(default_values(self.preset.value)))
        self.export_button.on_click(lambda _: self.export())
        self.load_button.on_click(lambda _: self.load_entry(self.history_pick.value))
        self.preset.observe(lambda ch: self.set_values(default_values(ch["new"])), "value")
        self._refresh_history()
        for name in (
            "status",
            "message",
            "table",
            "downloads",
            "history_html",
            "run_button",
            "export_button",
            "progress",
        ):
            getattr(self, name).add_class(f"studio-{name.replace('_', '-')}")

        settings = w.VBox([self.workers, self.scheduler, self.per_lever,
                           w.HTML(f"<small>Sweeps and history in {html.escape(str(self.home))}</small>")])  # fmt: skip
        top = w.VBox([
            w.HTML("<h2 style='margin:0'>What-if studio</h2><p>Baseline = the preset; the "
                   "variant holds every lever you change. Each replication simulates both with "
                   "the same seed, so differences come from the levers; intervals are paired "
                   "95 % t intervals over the replications.</p>"),
            self.question,
            w.HBox([w.VBox([self.preset, self.customers]), w.VBox([self.years, self.replications])]),
        ])  # fmt: skip
        left = w.VBox([w.HTML("<b>Levers</b>"), self.levers,
                       w.Accordion(children=[settings], titles=["Settings"]),
                       w.HBox([self.run_button, self.reset_button])],
                      layout=w.Layout(width="380px"))  # fmt: skip
        right = w.VBox([self.progress, self.status, self.message, self.table, self.delta_chart,
                        self.monthly_chart, w.HBox([self.export_button]), self.downloads],
                       layout=w.Layout(flex="1"))  # fmt: skip
        hist = w.VBox([w.HTML("<h3>Decision history</h3>"), self.history_html,
                       w.HBox([self.history_pick, self.load_button])])  # fmt: skip
        self.widget = w.VBox([top, w.HBox([left, right]), hist])
        self.widget.add_class("crm-studio")

    def _control(self, w, c: Control, value: Any, lay, style):
        if c.kind == "bool":
            box = w.Checkbox(value=bool(value), description=c.label, indent=False)
            self.controls[c.name] = box
            return box
        if c.kind == "markets":
            boxes = {}
            for m, v in value.items():
                boxes[m] = w.IntText(value=v, step=1, description=m.replace("_", " "),
                                     layout=lay, style=style)  # fmt: skip
                boxes[m].add_class(f"lever-{c.name}-{m}")
            self.controls[c.name] = boxes
            return w.VBox([w.HTML(f"<i>{html.escape(c.label)}</i>"), *boxes.values(),
                           w.HTML(f"<small>{html.escape(c.help)}</small>")])  # fmt: skip
        if c.kind == "weights":
            boxes = {ch: w.FloatText(value=v, step=0.05, description=ch, layout=lay, style=style)
                     for ch, v in value.items()}  # fmt: skip
            self.controls[c.name] = boxes
            return w.VBox([w.HTML(f"<i>{html.escape(c.label)}</i>"), *boxes.values(),
                           w.HTML(f"<small>{html.escape(c.help)}</small>")])  # fmt: skip
        kind = w.IntText if c.kind == "int" else w.FloatText
        box = kind(value=value, step=c.step, description=c.label, layout=lay, style=style,
                   description_allow_html=False)  # fmt: skip
        box.add_class(f"lever-{c.name}")
        self.controls[c.name] = box
        return w.VBox([box, w.HTML(f"<small>{html.escape(c.help)}</small>")]) if c.help else box

    # -- settings <-> controls
    def values(self) -> dict[str, Any]:
        """The controls' current values (name → value)."""
        out = {}
        for name, box in self.controls.items():
            out[name] = {k: b.value for k, b in box.items()} if isinstance(box, dict) else box.value
        return out

    def settings(self) -> Settings:
        """The settings shown in the app."""
        return Settings(
            preset=self.preset.value, customers=self.customers.value, years=self.years.value,
            replications=self.replications.value, values=self.values(),
            per_lever=self.per_lever.value, question=self.question.value,
            workers=self.workers.value, scheduler=self.scheduler.value.strip(),
        )  # fmt: skip

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show these control values (unknown names are ignored; older forms read as today's)."""
        for name, value in upgrade_values(self.preset.value, values).items():
            box = self.controls.get(name)
            if isinstance(box, dict):
                for k, v in value.items():
                    if k in box:
                        box[k].value = v
            elif box is not None:
                box.value = value

    def load_entry(self, entry_id: str | None) -> None:
        """Put a history entry's settings back into the controls, and its results if on disk."""
        if not entry_id:
            return
        try:
            entry = self.history.get(entry_id)
            s = Settings.from_dict(entry["settings"])
            values = upgrade_values(s.preset, s.values)  # e.g. a brand total of agents
        except (StudioError, KeyError, TypeError, ValueError) as err:
            self._say(f"Could not load that run: {err}", error=True)
            return
        self.preset.value = s.preset
        self.set_values(default_values(s.preset))
        self.set_values(values)
        self.customers.value, self.years.value = s.customers, s.years
        self.replications.value, self.per_lever.value = s.replications, s.per_lever
        self.question.value, self.workers.value = s.question, s.workers
        self.scheduler.value = s.scheduler
        self.entry = entry
        self._show_results(Path(entry["folder"]))
        self._say(f"Loaded the run of {entry['when']}.")

    # -- running
    def _say(self, text: str, error: bool = False) -> None:
        colour = "#b42318" if error else "#444"
        self.message.value = f"<p style='color:{colour}'>{html.escape(text)}</p>"

    def start(self) -> Run | None:
        """Run button: check the settings, record them and start the sweep in the background."""
        if self.run is not None and self.run.thread.is_alive():
            self._say("A run is in progress; wait for it to finish.", error=True)
            return None
        settings = self.settings()
        try:
            if settings.scheduler and not settings.scheduler.startswith(
                ("tcp://", "tls://", "inproc://", "ws")
            ):
                raise StudioError(f"Dask scheduler = {settings.scheduler!r} is not allowed: "
                                  "expected an address like tcp://host:8786")  # fmt: skip
            if not settings.scheduler and not 1 <= settings.workers <= (os.cpu_count() or 1) * 4:
                raise StudioError(f"Local workers = {settings.workers} is not allowed: expected "
                                  f"1 to {(os.cpu_count() or 1) * 4}")  # fmt: skip
            spec = build_spec(settings)
            validate(spec)
        except StudioError as err:
            self._say(str(err), error=True)
            return None
        out = sweep_folder(self.home, spec)
        self.entry = self.history.add(settings, spec, out)
        self._refresh_history()
        self.summary = pd.DataFrame()
        self.export_button.disabled = True
        self.downloads.value = ""
        self._say("")
        self.run_button.disabled = True
        self.progress.bar_style = "info"
        self.run = Run(spec, out, workers=settings.workers, scheduler=settings.scheduler,
                       on_change=self._on_change)  # fmt: skip
        self.status.value = "Starting…"
        return self.run.start()

    def _on_change(self, run: Run) -> None:
        with self._lock:
            self.progress.max = max(run.total, 1)
            self.progress.value = min(run.done, self.progress.max)
            finished = run.state != "running"
            elapsed = (run.ended if finished else time.perf_counter()) - run.started
            # "finished" is shown last, once the results and the history are up to date
            state = "drawing" if finished else run.state
            self.status.value = f"{run.done} / {run.total} tasks · {elapsed:.1f} s · {state}"
            # Redrawing costs a summary and two charts: at most every REDRAW_SECONDS
            # while tasks pour in, always at the end.
            now = time.perf_counter()
            if run.done and (finished or now - self._drawn >= REDRAW_SECONDS):
                self._show_results(run.out)
                self._drawn = time.perf_counter()
            if finished:
                self.run_button.disabled = False
                self.progress.bar_style = "danger" if run.error else "success"
                if run.error:
                    self._say(run.error, error=True)
                if self.entry is not None:
                    head = headline(self.summary) if not run.error else f"error: {run.error}"
                    self.entry = self.history.update(self.entry["id"], headline=head)
                    self._refresh_history()
                self.status.value = (
                    f"{run.done} / {run.total} tasks · {elapsed:.1f} s · {html.escape(run.state)}"
                )

    def _show_results(self, out: Path) -> None:
        from sim.charts import whatif as charts
        from sim.studio import sweep

        try:
            summary = sweep.summarise(out)
        except Exception as err:
            self._say(f"No results to show from {out}: {' '.join(str(err).split())}", error=True)
            return
        self.summary = summary
        self.table.value = results_html(results_table(summary))
        if summary.empty:
            return
        self.delta_chart.value = _png(charts.delta_intervals(summary, list(HEADLINE_KPIS[:8])))
        self.delta_chart.layout.display = ""
        monthly = monthly_from_tasks(out)
        if not monthly.empty:
            self.monthly_chart.value = _png(charts.monthly_figure(monthly))
            self.monthly_chart.layout.display = ""
        self.export_button.disabled = False

    def export(self) -> dict[str, Path]:
        """Export button: the KPI table (CSV, Excel) and the client report; download links."""
        from sim.studio import pdf, report

        if self.entry is None or self.summary.empty:
            self._say("Nothing to export yet: run a sweep first.", error=True)
            return {}
        out = Path(self.entry["folder"])
        try:
            files = report.export_all(
                out / "export", spec=self.entry["spec"], summary=self.summary,
                monthly=monthly_from_tasks(out), question=self.entry.get("question", ""),
                changes=changed_values(Settings.from_dict(self.entry["settings"])),
            )  # fmt: skip
        except Exception as err:
            self._say(f"Export failed: {' '.join(str(err).split())}", error=True)
            return {}
        note = ""
        try:
            files["pdf"] = pdf.print_pdf(files["html"], files["html"].with_suffix(".pdf"))
        except pdf.PdfUnavailable as err:
            note = f"<br><small>{html.escape(str(err))}</small>"
        mimes = {".csv": "text/csv", ".html": "text/html", ".pdf": "application/pdf",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
        labels = {".csv": "KPI table (CSV)", ".xlsx": "KPI table (Excel)",
                  ".html": "Client report (HTML)", ".pdf": "Client report (PDF)"}  # fmt: skip
        self.downloads.value = (
            "".join(
                _download_link(p.name, p.read_bytes(), mimes[p.suffix], labels[p.suffix])
                for p in files.values()
            )
            + note
            + f"<br><small>Also saved in {html.escape(str(out / 'export'))}</small>"
        )
        return files

    def _refresh_history(self) -> None:
        table = self.history.table()
        if table.empty:
            self.history_html.value = "<p>No runs yet.</p>"
            self.history_pick.options = []
            return
        shown = table.drop(columns="id").iloc[::-1]
        self.history_html.value = shown.to_html(index=False, classes="studio-history", border=0)
        self.history_pick.options = [
            (f"{r.when} · {r.changes[:60]}", r.id) for r in table.iloc[::-1].itertuples()
        ]


def studio(home: str | os.PathLike | None = None):
    """The studio's widget (what the Voilà notebook displays); ``home`` defaults to :func:`default_home`."""
    return Studio(home).widget
