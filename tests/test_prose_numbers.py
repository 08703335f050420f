"""Numbers in a lesson's prose are definitions or the source's claims, never results.

A measured result typed into a markdown cell goes stale as soon as the data
changes, so results live in printed output. A number in a notebook's markdown
is allowed only when

(a) the notebook's metadata lists it in ``metadata["crm"]["prose_numbers"]``
    (a short allowlist of definitional numbers: "100" for the first 100 days,
    the NPS bands "0", "6", "9", "10", years ...);
(b) its sentence attributes it to the source material ("the deck reports ...",
    "Fader and Hardie ...");
(c) it is structural: a notebook reference ("notebook 05", ``05_clv``, a file
    name), a heading's number ("## 3."), a list marker, inline code, a LaTeX
    formula, or a question / step number ("Question 2", "q2", "step 3").

The extractor below is tested on small made-up strings, then applied to every
notebook of ``notebooks/`` (one test per notebook, id = its stem, so
``-k 05_clv`` selects one); a failure lists every offending number at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

# A sentence containing one of these attributes its numbers to the source material.
ATTRIBUTIONS = (
    "the deck",
    "the source",
    "the material",
    "the course material",
    "the slides",
    "fader",
    "hardie",
    "reichheld",
)

# A number: digits with optional thousands separators or decimals, then an
# optional unit that makes it a measurement ("22 %", "3.1×", "13.8M").
NUMBER = re.compile(r"(?<![\w.,])[-−+]?\d+(?:[.,]\d+)*(?:\s?(?:%|×|x\b|[kKMB]\b|pp\b|points?\b))?")

FENCED = re.compile(r"```.*?```|~~~.*?~~~", re.S)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
LATEX = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
INLINE_CODE = re.compile(r"`[^`]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
URL = re.compile(r"https?://\S+")
FILE_NAME = re.compile(r"[\w./-]+\.(?:ipynb|py|csv|parquet|md|json|html|ya?ml|toml|txt|xlsx|zip)\b")
NOTEBOOK_STEM = re.compile(r"\b\d{2}_[A-Za-z]\w*")
# a link to a notebook by its title: "[04 · Segmentation](...)"
NOTEBOOK_TITLE = re.compile(r"\[\s*\d{2}\s*·")
# "notebook 05", "notebooks 04 segmentation, 05 CLV and 09", "sheet 05"
NOTEBOOK_REF = re.compile(
    r"\b(?:notebooks?|sheets?|lessons?)\s+\d{1,2}(?:\s+(?!(?:and|or)\b)[A-Za-z][\w-]*)?"
    r"(?:\s*(?:,|and|or|&|/|–|-)\s*\d{1,2}(?:\s+(?!(?:and|or)\b)[A-Za-z][\w-]*)?)*",
    re.I,
)
QUESTION_REF = re.compile(
    r"\b(?:questions?|steps?|exercises?|parts?|sections?)\s+\d+(?:\s*(?:,|and|or|–|-)\s*\d+)*"
    r"|\bq\d+\b",
    re.I,
)
HEADING_NUMBER = re.compile(r"^(\s*#+\s*)\d+(?:\.\d+)*\.?")
LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")


@dataclass(frozen=True)
class Finding:
    """One number in the prose that is neither allowed nor attributed."""

    cell: int
    number: str
    sentence: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.number!r} in {self.sentence!r}"


def _strip_structural(text: str) -> str:
    """Blank out the parts of markdown whose numbers are structural, keep the prose."""
    for pattern in (FENCED, HTML_COMMENT, LATEX, INLINE_CODE, LINK_TARGET, URL, FILE_NAME):
        text = pattern.sub(" ‹code› ", text)
    text = NOTEBOOK_STEM.sub(" ‹ref› ", text)
    text = NOTEBOOK_TITLE.sub("[ ‹ref› ", text)
    lines = []
    for line in text.splitlines():
        if HEADING_NUMBER.match(line) or line.lstrip().startswith("#"):
            line = "\n" + HEADING_NUMBER.sub(r"\1", line) + "\n"  # a heading stands alone
        line = LIST_MARKER.sub("\n", line)  # a list item starts its own sentence
        lines.append(line)
    text = "\n".join(lines)
    text = NOTEBOOK_REF.sub(" ‹ref› ", text)
    return QUESTION_REF.sub(" ‹ref› ", text)


def _sentences(text: str) -> list[str]:
    """Paragraphs, list items and headings, each split into sentences."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        flat = " ".join(block.split())
        out.extend(s for s in SENTENCE_END.split(flat) if s.strip())
    return out


def _bare(number: str) -> str:
    """The number's digits as written, without unit, sign or thousands separators."""
    core = re.match(r"[-−+]?(\d+(?:[.,]\d+)*)", number).group(1)
    return core


def _allowed(number: str, allowlist: set[str]) -> bool:
    core = _bare(number)
    return core in allowlist or core.replace(",", "") in allowlist


def prose_numbers(markdown: str) -> list[tuple[str, str]]:
    """Every (number, sentence) of one markdown text outside the structural exceptions."""
    found = []
    for sentence in _sentences(_strip_structural(markdown)):
        for match in NUMBER.finditer(sentence):
            found.append((match.group(0).strip(), sentence))
    return found


def offending_numbers(
    cells: list[str], allowlist: list[str] | tuple[str, ...] = ()
) -> list[Finding]:
    """The numbers of ``cells`` (markdown sources, by cell index) that break the rule."""
    allowed = {str(a) for a in allowlist}
    findings = []
    for index, source in enumerate(cells):
        if source is None:
            continue
        for number, sentence in prose_numbers(source):
            if any(a in sentence.lower() for a in ATTRIBUTIONS):
                continue
            if _allowed(number, allowed):
                continue
            findings.append(Finding(index, number, sentence))
    return findings


def notebook_findings(path: Path) -> list[Finding]:
    """The offending numbers of one notebook's markdown cells (cell index = position in the notebook)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    allowlist = nb.get("metadata", {}).get("crm", {}).get("prose_numbers", [])
    cells = []
    for cell in nb["cells"]:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        cells.append(src if cell.get("cell_type") == "markdown" else None)
    return offending_numbers(cells, allowlist)


# --- the extractor on made-up strings -------------------------------------------------


def numbers_in(text: str, allowlist: tuple[str, ...] = ()) -> list[str]:
    return [f.number for f in offending_numbers([text], allowlist)]


def test_unattributed_measured_number_fails():
    assert numbers_in("On the brand, 37 customers churned last year.") == ["37"]


def test_attributed_sentence_passes():
    assert numbers_in("The deck reports that 30 % of clients buy abroad.") == []
    assert numbers_in("Fader and Hardie fit 2,357 CDNOW customers.") == []
    assert numbers_in("According to the source material, about 2 % buy in both channels.") == []


def test_attribution_is_per_sentence():
    text = "The deck reports 30 % buying abroad. On our brand it is 12 %."
    assert numbers_in(text) == ["12 %"]


def test_percentages_decimals_and_thousands_are_detected():
    assert numbers_in("About 22 % of them left.") == ["22 %"]
    assert numbers_in("A lift of 3.1× over control.") == ["3.1×"]
    assert numbers_in("We count 1,250 repairs.") == ["1,250"]
    assert numbers_in("It was 22% and then 0.45.") == ["22%", "0.45"]


def test_inline_code_and_latex_pass():
    assert numbers_in("Call `journeys.top(k=5)` with `window_days = 14`.") == []
    assert numbers_in("The lifespan is $1/(1-r)$ and $$CLV = \\sum_{t=1}^{10} m r^t$$.") == []


def test_notebook_references_and_file_names_pass():
    assert numbers_in("We met CLV in notebook 05 and churn in notebooks 06 and 10.") == []
    assert numbers_in("See notebooks 04 segmentation, 05 CLV, 09 loyalty.") == []
    assert numbers_in("Open 05_clv for the model and `datasets/default`.") == []
    assert numbers_in("The sheet is [here](../exercises/00_welcome.ipynb).") == []
    assert numbers_in("Data ships in cdnow_2357.csv.") == []
    assert numbers_in("Next: [04 · Segmentation](04_segmentation.ipynb).") == []


def test_headings_list_markers_and_question_numbers_pass():
    assert numbers_in("## 3. The funnel") == []
    assert numbers_in("# 01 · Lifecycle and journeys") == []
    assert numbers_in("1. load the data;\n2. fit the model;\n10. report") == []
    assert numbers_in("Answer Question 2 before q3; see step 4.") == []


def test_numbers_in_headings_body_still_count():
    assert numbers_in("## 3. Why 40 % abandon") == ["40 %"]


def test_allowlist_is_by_number():
    text = "The first 100 days matter; promoters score 9 or 10 and detractors 0 to 6."
    assert numbers_in(text, ("100", "9", "10", "0", "6")) == []
    assert numbers_in(text, ("100",)) == ["9", "10", "0", "6"]
    assert numbers_in("In 2024 we count 1,250.", ("2024", "1250")) == []


def test_words_with_digits_are_not_numbers():
    assert numbers_in("B2B leads and 360° views") == ["360"]
    assert numbers_in("Customer h5 and the CO2 footprint") == []


def test_finding_names_cell_number_and_sentence():
    findings = offending_numbers(["All fine here.", None, "We lost 12 %. Fine."])
    assert [(f.cell, f.number, f.sentence) for f in findings] == [(2, "12 %", "We lost 12 %.")]


# --- every notebook of the course ---------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_numbers_are_definitions_or_attributed(path: Path):
    findings = notebook_findings(path)
    report = "\n  ".join(str(f) for f in findings)
    assert not findings, (
        f"{path.relative_to(REPO)}: {len(findings)} number(s) in the prose are neither in "
        f'metadata["crm"]["prose_numbers"] nor attributed to the source material; '
        f"print them from code instead:\n  {report}"
    )
