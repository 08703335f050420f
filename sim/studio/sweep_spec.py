"""The SPEC of a sweep: a baseline, its variants, the seeds and the KPIs, validated up front.

A sweep answers "what do these changes do, and is it more than noise?" by
simulating a baseline scenario and its variants over several replications
(seeds). Every variant of a replication uses the same seed (common random
numbers), so the paired differences against the baseline are sharp.

The minimal SPEC::

    baseline: {preset: default, population: {customers: 2000, years: 1.0}}
    variants:
      retention: {experience: {retention_uplift: 0.05}}
      agents: {service: {agents: 3}}
    replications: 6        # seeds 0..5

Every field of a SPEC:

``baseline``
    A preset name, a scenario file, or a mapping with ``preset: NAME`` *or*
    ``scenario: FILE`` (a YAML/JSON scenario file, relative to the SPEC's
    folder), any scenario sections to override (``population: {...}``) and
    ``levers: {name: value}`` (the studio's levers, :data:`sim.studio.whatif.LEVERS`,
    applied after the overrides). Default: the ``default`` preset.
``variants``
    ``name: {...}``: scenario section overrides and/or ``levers: {...}``, applied
    to the baseline (overrides first, then levers). A name is free text that
    can be a folder name (no ``/``, not starting with ``.``); ``baseline`` is
    reserved.
``grid``
    ``factor: [value, ...]``: one variant per combination (cartesian product
    in the order written). A factor is a lever name (``retention_uplift``) or
    a dotted scenario field (``service.agents``). Variants are named
    ``factor=value,factor=value``.
``lhs``
    ``{samples: N, ranges: {factor: [low, high]}, seed: k}``: a Latin hypercube
    of N points over numeric factors (whole-number fields are rounded); the
    design is a function of the SPEC alone. Variants are named ``lhs-001``...
``morris``
    ``{trajectories: r, levels: p, ranges: {factor: [low, high]}, seed: k}``:
    Morris's elementary-effects design (SALib), r × (factors + 1) points on a
    p-level grid; the sensitivity table then holds Morris's μ* and σ
    (:mod:`sim.studio.sensitivity`). A whole-number factor needs
    (high − low) divisible by p − 1. Variants are named ``morris-001``...
``replications`` or ``seeds``
    ``replications: n`` runs seeds 0..n−1; ``seeds: [..]`` names them.
``kpis``
    KPI names among :data:`sim.studio.whatif.KPI_DEFINITIONS` (default: all).
``level``
    Confidence level of the intervals (default 0.95).
``name``, ``description``
    Free text, carried into the sweep folder and reports.

At least one of ``variants``, ``grid``, ``lhs`` and ``morris`` is needed. Every scenario
of the sweep is built (and so validated) by :func:`load_spec`, before any
task starts; an error is one line naming the field.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import (
    _SECTIONS,
    FrozenMap,
    Scenario,
    ScenarioError,
    _freeze,
    _parse_yaml,
    _plain,
    load_scenario,
    preset,
    preset_names,
)
from sim.studio.whatif import KPI_DEFINITIONS, LEVERS, lever_scenario

__all__ = ["BASELINE", "SPEC_FIELDS", "SpecError", "SweepSpec", "Task", "Variant", "load_spec"]

#: The name of the baseline variant, present in every sweep.
BASELINE = "baseline"
#: The top-level fields a SPEC may hold.
SPEC_FIELDS = (
    "name",
    "description",
    "baseline",
    "variants",
    "grid",
    "lhs",
    "morris",
    "replications",
    "seeds",
    "kpis",
    "level",
)
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_TASKS = 100_000


class SpecError(ScenarioError):
    """A SPEC that cannot run: one line naming the field and what is allowed."""


@dataclass(frozen=True)
class Task:
    """One simulation of a sweep: a variant's scenario with one seed."""

    variant: str
    seed: int
    scenario: Scenario

    @property
    def key(self) -> str:
        """``variant/seed-k``: where its result lives under ``tasks/``."""
        return f"{self.variant}/seed-{self.seed}"


@dataclass(frozen=True)
class Variant:
    """A named scenario of a sweep; ``factors`` holds a design point's values (grid, LHS)."""

    name: str
    scenario: Scenario
    kind: str = "variant"  # "baseline", "variant", "grid", "lhs" or "morris"
    factors: FrozenMap = FrozenMap()


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the baseline and variants (scenarios), seeds, KPIs and level.

    Build it with :func:`load_spec`. ``source`` is the normalised SPEC (plain,
    YAML-ready via :meth:`to_dict`): the baseline resolved to a preset plus
    the fields that differ from it, so it is self-contained.
    """

    variants: tuple[Variant, ...]  # the baseline first
    seeds: tuple[int, ...]
    kpis: tuple[str, ...]
    level: float
    source: FrozenMap

    @property
    def baseline(self) -> Scenario:
        """The baseline scenario."""
        return self.variants[0].scenario

    @property
    def variant_names(self) -> list[str]:
        """Every variant's name, the baseline first, in the SPEC's order."""
        return [v.name for v in self.variants]

    @property
    def factors(self) -> list[str]:
        """The factors of the grid, LHS and Morris designs, in the order written."""
        out: list[str] = []
        for v in self.variants:
            out += [f for f in v.factors if f not in out]
        return out

    def variant(self, name: str) -> Variant:
        """The variant called ``name``."""
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"variant {name!r} is not in the sweep: variants are {self.variant_names}")

    def tasks(self) -> list[Task]:
        """Every (variant, seed) task, seed by seed, the baseline first within a seed.

        Seed-major order puts complete replications first, so an interrupted
        sweep already has paired results.
        """
        return [Task(v.name, s, v.scenario) for s in self.seeds for v in self.variants]

    def design(self) -> pd.DataFrame:
        """The grid, LHS and Morris points: one row per variant (index ``variant``), one column per factor."""
        rows = {v.name: dict(v.factors) for v in self.variants if v.factors}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=self.factors)
        table.index.name = "variant"
        return table

    @property
    def fingerprint(self) -> str:
        """A short hash of the normalised SPEC: equal SPECs, equal fingerprints (a folder name)."""
        import hashlib
        import json

        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The normalised SPEC as plain data (what ``spec.yaml`` of a sweep folder holds)."""
        return _plain(self.source)

    def to_yaml(self) -> str:
        """The normalised SPEC as YAML text; :func:`load_spec` reads it back to an equal spec."""
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------- parsing


def _fail(field: str, message: str) -> SpecError:
    return SpecError(f"spec.{field}: {message}")


def _plain_value(value: Any, field: str) -> Any:
    """``value`` as YAML-ready plain data (numpy scalars to Python numbers)."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise _fail(field, f"keys must be text, got {k!r}")
            out[k] = _plain_value(v, f"{field}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_plain_value(v, field) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise _fail(field, f"{value!r} is not plain data (numbers, text, lists, mappings)")


def _read_source(source: Any) -> tuple[dict[str, Any], Path | None]:
    """The SPEC as a mapping, and the folder relative scenario files are read from."""
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and source.strip().lower().endswith(_SPEC_SUFFIXES)
    ):
        path = Path(source).expanduser()
        if not path.is_file():
            raise SpecError(f"spec file {str(path)!r} does not exist or is not a file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise SpecError(f"spec file {str(path)!r} cannot be read ({err})") from None
        data = _parse_yaml(path, text)  # JSON is YAML; duplicate keys are refused
        where = path.resolve().parent
    elif isinstance(source, str):
        data = _parse_yaml(Path("<spec>"), source)
        where = None
    elif isinstance(source, Mapping):
        data, where = source, None
    else:
        raise SpecError(
            f"spec: expected a SweepSpec, a mapping, YAML text or a .yaml/.yml/.json file, "
            f"got {type(source).__name__}"
        )
    if not isinstance(data, Mapping):
        raise SpecError(
            f"spec: expected a mapping of {', '.join(SPEC_FIELDS)} (or a path ending in "
            f".yaml/.yml/.json), got {type(data).__name__}"
        )
    return dict(_plain_value(dict(data), "spec")), where


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _diff(scenario: Scenario, base: Scenario) -> dict[str, Any]:
    """The fields of ``scenario`` that differ from ``base``, as nested overrides.

    ``to_dict`` leaves some fields out while empty (``markets.agents``): a field
    missing on one side counts as empty, so staffing set on either side shows.
    """
    a, b = scenario.to_dict(), base.to_dict()
    out: dict[str, Any] = {}
    if a["name"] != b["name"]:
        out["name"] = a["name"]
    for section in _SECTIONS:
        keys = list(a[section]) + [k for k in b[section] if k not in a[section]]
        changed = {
            k: a[section].get(k, {}) for k in keys if a[section].get(k, {}) != b[section].get(k, {})
        }
        if changed:
            out[section] = changed
    return out


def _baseline(raw: Any, where: Path | None) -> tuple[Scenario, dict[str, Any]]:
    """The baseline scenario and its normalised form ``{preset: P, ...fields that differ}``."""
    if raw is None:
        raw = {}
    if isinstance(raw, str):
        raw = {"scenario": raw} if raw.lower().endswith(_SPEC_SUFFIXES) else {"preset": raw}
    if not isinstance(raw, Mapping):
        raise _fail("baseline", f"expected a preset name or a mapping, got {raw!r}")
    raw = dict(raw)
    if "preset" in raw and "scenario" in raw:
        raise _fail("baseline", "give preset or scenario (a scenario file), not both")
    levers = raw.pop("levers", None)
    try:
        if "scenario" in raw:
            file = raw.pop("scenario")
            if not isinstance(file, str) or not file.strip():
                raise _fail("baseline.scenario", f"expected a scenario file path, got {file!r}")
            path = Path(file).expanduser()
            if not path.is_absolute() and where is not None:
                path = where / path
            base = load_scenario(path)
            # The file's own starting preset keeps the normalised form short.
            file_data = _parse_yaml(path, path.read_text(encoding="utf-8-sig"))
            start = file_data.get("preset", "default") if isinstance(file_data, Mapping) else None
            start = start if start in preset_names() else "default"
        else:
            start = raw.pop("preset", "default")
            if not isinstance(start, str) or start not in preset_names():
                raise _fail(
                    "baseline.preset", f"{start!r} is not a preset: expected one of "
                    f"{', '.join(preset_names())}",
                )  # fmt: skip
            base = preset(start)
        base = base.with_overrides(raw)
        if levers is not None:
            base = lever_scenario(base, **_levers(levers, "baseline.levers"))
    except SpecError:
        raise
    except ScenarioError as err:
        raise _fail("baseline", str(err)) from None
    normal = {"preset": start, **_diff(base, preset(start))}
    return base, normal


def _levers(raw: Any, field: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(field, f"expected a mapping lever -> value, got {raw!r}")
    unknown = [k for k in raw if k not in LEVERS]
    if unknown:
        raise _fail(
            field, f"unknown lever(s) {', '.join(unknown)}: expected one of {', '.join(LEVERS)}"
        )
    return dict(raw)


def _apply(base: Scenario, definition: Mapping[str, Any], field: str) -> Scenario:
    """``base`` with a variant's section overrides, then its levers."""
    definition = dict(definition)
    levers = _levers(definition.pop("levers", {}), f"{field}.levers")
    try:
        scenario = base.with_overrides(definition)
        return lever_scenario(scenario, **levers) if levers else scenario
    except ScenarioError as err:
        raise _fail(field, str(err)) from None


def _check_name(name: Any, field: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise _fail(field, f"a variant name must be non-empty text, got {name!r}")
    bad = [c for c in ("/", "\\", "\0", ":") if c in name]
    if bad or name.startswith(".") or name != name.strip() or len(name) > 150:
        raise _fail(
            field,
            f"variant name {name!r} is not allowed: it names a folder, so no / \\ : , no "
            "leading dot or surrounding spaces, at most 150 characters",
        )
    if name == BASELINE:
        raise _fail(field, f"{BASELINE!r} is reserved for the baseline")
    return name


def _factor(name: Any, base: Scenario, field: str) -> tuple[str, str]:
    """``(kind, name)`` of a design factor: a lever or a dotted scenario field."""
    if isinstance(name, str) and name in LEVERS:
        return "lever", name
    if isinstance(name, str) and name.count(".") == 1:
        section, fname = name.split(".")
        if section in _SECTIONS and fname in {f.name for f in fields(getattr(base, section))}:
            return "field", name
    raise _fail(
        f"{field}.{name}",
        f"unknown factor: expected a lever ({', '.join(LEVERS)}) or a scenario field "
        "written section.field (e.g. service.agents)",
    )


def _definition(factors: Mapping[str, Any], base: Scenario, field: str) -> dict[str, Any]:
    """A design point ``{factor: value}`` as a variant definition (overrides + levers)."""
    out: dict[str, Any] = {}
    for name, value in factors.items():
        kind, name = _factor(name, base, field)
        if kind == "lever":
            out.setdefault("levers", {})[name] = value
        else:
            section, fname = name.split(".")
            out.setdefault(section, {})[fname] = value
    return out


def _label(value: Any) -> str:
    if isinstance(value, float):
        return format(value, "g")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}={_label(v)}" for k, v in value.items()) + "}"
    return str(value)


def _grid(raw: Any, base: Scenario) -> list[Variant]:
    if not isinstance(raw, Mapping) or not raw:
        raise _fail("grid", f"expected a mapping factor -> list of values, got {raw!r}")
    for name, values in raw.items():
        _factor(name, base, "grid")
        if not isinstance(values, list) or not values:
            raise _fail(f"grid.{name}", f"expected a non-empty list of values, got {values!r}")
    points = list(itertools.product(*raw.values()))
    if len(points) > _MAX_TASKS:
        raise _fail("grid", f"{len(points):,} points: at most {_MAX_TASKS:,}")
    out = []
    for i, values in enumerate(points, start=1):
        factors = dict(zip(raw, values, strict=True))
        name = ",".join(f"{k}={_label(v)}" for k, v in factors.items())
        if len(name) > 150 or any(c in name for c in "/\\:\0") or name.startswith("."):
            name = f"grid-{i:03d}"
        scenario = _apply(base, _definition(factors, base, "grid"), f"grid[{name}]")
        out.append(Variant(name, scenario, "grid", FrozenMap(factors)))
    return out


def _current(base: Scenario, kind: str, name: str) -> Any:
    target = name if kind == "field" else LEVERS[name].target
    if target == "*":
        return None
    section, fname = target.split(".")
    return getattr(getattr(base, section), fname)


def _lhs(raw: Any, base: Scenario) -> list[Variant]:
    from scipy.stats import qmc

    if not isinstance(raw, Mapping):
        raise _fail("lhs", f"expected a mapping with samples, ranges and seed, got {raw!r}")
    unknown = sorted(set(raw) - {"samples", "ranges", "seed"})
    if unknown:
        raise _fail(f"lhs.{unknown[0]}", "unknown field: expected samples, ranges, seed")
    n, seed, ranges = raw.get("samples"), raw.get("seed", 0), raw.get("ranges")
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= _MAX_TASKS:
        raise _fail("lhs.samples", f"{n!r} is not allowed: expected a whole number from 2")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail("lhs.seed", f"{seed!r} is not allowed: expected a whole number >= 0")
    if not isinstance(ranges, Mapping) or not ranges:
        raise _fail("lhs.ranges", f"expected a mapping factor -> [low, high], got {ranges!r}")
    whole = {name: _numeric_range(name, b, base, "lhs.ranges") for name, b in ranges.items()}
    try:
        sampler = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed))
    except TypeError:  # SciPy before 1.15 calls it seed (the same draws)
        sampler = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed))
    unit = sampler.random(n)
    out = []
    for i, row in enumerate(unit, start=1):
        factors: dict[str, Any] = {}
        for (name, (lo, hi)), u in zip(ranges.items(), row, strict=True):
            value = lo + float(u) * (hi - lo)
            factors[name] = int(round(value)) if whole[name] else round(value, 12)
        name = f"lhs-{i:03d}"
        scenario = _apply(base, _definition(factors, base, "lhs.ranges"), f"lhs[{name}]")
        out.append(Variant(name, scenario, "lhs", FrozenMap(factors)))
    return out


def _morris(raw: Any, base: Scenario) -> list[Variant]:
    from SALib.sample import morris as morris_sample

    if not isinstance(raw, Mapping):
        raise _fail("morris", f"expected a mapping with trajectories, levels, ranges, got {raw!r}")
    unknown = sorted(set(raw) - {"trajectories", "levels", "ranges", "seed"})
    if unknown:
        raise _fail(
            f"morris.{unknown[0]}", "unknown field: expected trajectories, levels, ranges, seed"
        )
    r, p, seed = raw.get("trajectories"), raw.get("levels", 4), raw.get("seed", 0)
    ranges = raw.get("ranges")
    for key, value, low in (("trajectories", r, 2), ("levels", p, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10_000:
            raise _fail(
                f"morris.{key}", f"{value!r} is not allowed: expected a whole number from {low}"
            )
    if not isinstance(ranges, Mapping) or not ranges:
        raise _fail("morris.ranges", f"expected a mapping factor -> [low, high], got {ranges!r}")
    whole = {}
    for name, bounds in ranges.items():
        whole[name] = _numeric_range(name, bounds, base, "morris.ranges")
        if whole[name] and (bounds[1] - bounds[0]) % (p - 1):
            raise _fail(
                f"morris.ranges.{name}",
                f"a whole-number factor needs high - low divisible by levels - 1 = {p - 1}",
            )
    problem = {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [list(map(float, b)) for b in ranges.values()],
    }
    points = morris_sample.sample(problem, N=r, num_levels=p, seed=seed)
    out = []
    for i, row in enumerate(points, start=1):
        factors = {
            name: int(round(float(u))) if whole[name] else round(float(u), 12)
            for name, u in zip(ranges, row, strict=True)
        }
        name = f"morris-{i:03d}"
        scenario = _apply(base, _definition(factors, base, "morris.ranges"), f"morris[{name}]")
        out.append(Variant(name, scenario, "morris", FrozenMap(factors)))
    return out


def _numeric_range(name: str, bounds: Any, base: Scenario, field: str) -> bool:
    """Check ``[low, high]`` of a numeric factor; True when the factor is a whole number."""
    kind, _ = _factor(name, base, field)
    ok = isinstance(bounds, list) and len(bounds) == 2 and all(map(_is_number, bounds))
    if not ok or not bounds[0] < bounds[1]:
        raise _fail(
            f"{field}.{name}", f"{bounds!r} is not allowed: expected [low, high], low < high"
        )
    current = _current(base, kind, name)
    if isinstance(current, bool) or not (current is None or _is_number(current)):
        raise _fail(f"{field}.{name}", "this design needs a numeric factor")
    return isinstance(current, int)


def _seeds(data: Mapping[str, Any]) -> tuple[int, ...]:
    if "replications" in data and "seeds" in data:
        raise _fail("seeds", "give replications or seeds, not both")
    if "seeds" in data:
        seeds = data["seeds"]
        ok = isinstance(seeds, list) and seeds
        if not ok or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise _fail("seeds", f"{seeds!r} is not allowed: expected a list of whole numbers")
        if min(seeds) < 0 or len(set(seeds)) != len(seeds):
            raise _fail("seeds", f"{seeds!r} is not allowed: expected distinct numbers >= 0")
        return tuple(seeds)
    if "replications" not in data:
        raise _fail("replications", "missing: give replications (seeds 0..n-1) or seeds")
    n = data["replications"]
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_TASKS:
        raise _fail("replications", f"{n!r} is not allowed: expected a whole number from 1")
    return tuple(range(n))


def _kpis(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return tuple(KPI_DEFINITIONS)
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
        raise _fail("kpis", f"{raw!r} is not allowed: expected a non-empty list of KPI names")
    unknown = [k for k in raw if k not in KPI_DEFINITIONS]
    if unknown:
        raise _fail(
            "kpis",
            f"unknown KPI(s) {', '.join(unknown)}: expected some of {', '.join(KPI_DEFINITIONS)}",
        )
    if len(set(raw)) != len(raw):
        raise _fail("kpis", "a KPI is listed twice")
    return tuple(raw)


def load_spec(source: Any) -> SweepSpec:
    """Read and validate a sweep SPEC (see the module docs for its fields).

    Parameters
    ----------
    source
        A path to a YAML/JSON file (``str`` ending in .yaml/.yml/.json, or a
        :class:`os.PathLike`), YAML text, a mapping, or a :class:`SweepSpec`
        (returned as is).

    Raises
    ------
    SpecError
        (a :class:`~sim.scenario.ScenarioError`) for an unknown field, lever or
        KPI, a value out of range, or an empty design; one line naming the field.
    """
    if isinstance(source, SweepSpec):
        return source
    data, where = _read_source(source)
    unknown = [k for k in data if k not in SPEC_FIELDS]
    if unknown:
        raise _fail(unknown[0], f"unknown field: expected one of {', '.join(SPEC_FIELDS)}")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise _fail(key, f"expected text, got {data[key]!r}")
    base, base_normal = _baseline(data.get("baseline"), where)
    variants = [Variant(BASELINE, base, "baseline")]
    raw_variants = data.get("variants") or {}
    if not isinstance(raw_variants, Mapping):
        raise _fail("variants", f"expected a mapping name -> overrides, got {raw_variants!r}")
    for name, definition in raw_variants.items():
        _check_name(name, f"variants.{name}")
        if not isinstance(definition, Mapping):
            raise _fail(
                f"variants.{name}", f"expected scenario overrides and/or levers, got {definition!r}"
            )
        variants.append(Variant(name, _apply(base, definition, f"variants.{name}")))
    if data.get("grid") is not None:
        variants += _grid(data["grid"], base)
    if data.get("lhs") is not None:
        variants += _lhs(data["lhs"], base)
    if data.get("morris") is not None:
        variants += _morris(data["morris"], base)
    if len(variants) == 1:
        raise SpecError(
            "spec: empty design: give at least one variant (variants), or a grid, lhs or "
            "morris design"
        )
    seen: set[str] = set()
    for v in variants:
        if v.name in seen:
            raise _fail("variants", f"two variants are called {v.name!r}")
        seen.add(v.name)
    seeds = _seeds(data)
    if len(seeds) * len(variants) > _MAX_TASKS:
        raise _fail("replications", f"{len(seeds) * len(variants):,} tasks: at most {_MAX_TASKS:,}")
    level = data.get("level", 0.95)
    if not _is_number(level) or not 0 < level < 1:
        raise _fail("level", f"{level!r} is not allowed: expected a number between 0 and 1")
    kpis = _kpis(data.get("kpis"))
    normal: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in data:
            normal[key] = data[key]
    normal["baseline"] = base_normal
    for key in ("variants", "grid", "lhs", "morris"):
        if data.get(key):
            normal[key] = data[key]
    if "lhs" in normal:
        normal["lhs"] = {"seed": 0, **normal["lhs"]}
    if "morris" in normal:
        normal["morris"] = {"levels": 4, "seed": 0, **normal["morris"]}
    normal["seeds"] = list(seeds)
    normal["kpis"] = list(kpis)
    normal["level"] = float(level)
    return SweepSpec(tuple(variants), seeds, kpis, float(level), _freeze(normal))
