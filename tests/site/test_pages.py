"""Every page of the built site in a real browser, in light and dark mode; links; the verification report.

Every page is discovered from the built site, so pages added later are covered
without editing this file. Each page must load offline without errors, show
its maths rendered by the site's own MathJax, give its images alt text that
says something, keep its headings in order, put a copy button on every code
block (and none on outputs), show its figures readably in both themes, and
pass axe-core without serious or critical violations. To test one build by
hand::

    CONVBOOK_SITE=_build/strict/html .venv/bin/python -m pytest tests/site
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter

import pytest
from built_site import EXECUTED, PAGES, ROOT, broken_internal_links, checks
from inpage import axe, describe_violations, figure_problems, probe

#: What readers meet before toggling anything, and the other theme.
MODES = ["light", "dark"]
#: axe-core impacts that fail a page (the others are recorded, not fatal).
FATAL_IMPACTS = {"serious", "critical"}


def test_site_is_built(site):
    assert "index.html" in PAGES and "verification.html" in PAGES, PAGES
    assert EXECUTED, "no page with executed code cells"


def _image_problems(images: list[dict]) -> list[str]:
    problems = []
    for img in images:
        alt = (img["alt"] or "").strip()
        if not alt:
            problems.append(f"image without alt text: {img['src']}")
        elif img["src"].startswith("_static/"):
            pass  # the theme's own icons (e.g. the module index's "-" toggle)
        elif re.search(r"\.(png|jpe?g|svg|gif|webp)$|^_images/|^data:", alt, re.I) or len(alt.split()) < 3:
            problems.append(f"image alt text does not say what it shows: {alt!r} ({img['src']})")
    return problems


def _heading_problems(headings: list[list]) -> list[str]:
    levels = [level for level, _ in headings]
    problems = []
    if levels.count(1) != 1 or (levels and levels[0] != 1):
        problems.append(f"expected one <h1> first, got headings {headings}")
    for (a, ta), (b, tb) in zip(headings, headings[1:]):
        if b > a + 1:
            problems.append(f"heading level jumps from h{a} {ta!r} to h{b} {tb!r}")
    return problems


def _copy_button_problems(found: dict) -> list[str]:
    problems = []
    if found["cellButtons"] != found["cells"]:
        problems.append(f"{found['cells']} code cells but {found['cellButtons']} copy buttons on them")
    if found["allButtons"] != found["codeBlocks"]:
        problems.append(f"{found['codeBlocks']} code blocks but {found['allButtons']} copy buttons on them")
    if found["outputButtons"]:
        problems.append(f"{found['outputButtons']} copy buttons on cell outputs (they must copy code only)")
    return problems


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", PAGES)
def test_page(visit, record, path, mode):
    """Loads offline without errors; maths rendered; alt text; headings; copy buttons; figures; axe."""
    v = visit(mode=mode)
    v.open(path)
    problems: list[str] = []
    found = v.page.evaluate(probe("page"))
    if found["theme"] != mode:
        problems.append(f"the theme is {found['theme']!r}, expected {mode!r}")

    if mode == "light":  # what does not depend on the theme is checked once
        problems += [f"maths not rendered by MathJax: {t!r}" for t in found["unrendered"]]
        problems += [f"MathJax error: {t!r}" for t in found["errors"]]
        problems += [f"raw TeX in the text: {t!r}" for t in found["raw"]]
        problems += _image_problems(found["images"])
        problems += _heading_problems(found["headings"])
        problems += _copy_button_problems(found)
        record(path, "maths", found["maths"])
        record(path, "images", len(found["images"]))
        record(path, "code cells", found["cells"])

    figures = v.page.evaluate(probe("figures"))
    problems += figure_problems(figures, mode)
    record(path, f"figures {mode}", figures)

    violations = axe(v.page)
    record(path, f"axe {mode}", {impact: [x["id"] for x in violations if x["impact"] == impact]
                                 for impact in ("critical", "serious", "moderate", "minor")})
    fatal = [x for x in violations if x["impact"] in FATAL_IMPACTS]
    if fatal:
        problems.append(f"axe-core ({mode} mode): serious or critical violations:\n" + describe_violations(fatal))
    problems = v.problems() + problems  # load-time and late (axe run) errors first
    assert not problems, f"{path} in {mode} mode:\n" + "\n".join(dict.fromkeys(problems))


# ----------------------------------------------------------------- links, report


def test_internal_links_and_anchors_resolve(site):
    broken = broken_internal_links(site, PAGES)
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_verification_report_counts_every_check(site, record):
    import numpy
    from convbook_checks import engine_source_hash

    import convbook

    report_page = "verification.html"
    per_page = {p: checks(site / p) for p in PAGES if p != report_page and checks(site / p)}
    total = sum(len(c) for c in per_page.values())
    assert total > 0, "no page shows a check line"
    html = (site / report_page).read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    summary = re.search(r"claims checked in this build: (\d[\d,]*) on (\d+) pages", text)
    assert summary, "the report has no 'claims checked in this build' line"
    assert int(summary.group(1).replace(",", "")) == total, (summary.group(0), total, {p: len(c) for p, c in per_page.items()})
    assert int(summary.group(2)) == len(per_page)
    for label, value in [("convbook version", convbook.__version__),
                         ("NumPy version", numpy.__version__),
                         ("source hash (SHA-256 of src/convbook)", engine_source_hash(ROOT / "src" / "convbook"))]:
        assert f"{label}: {value}" in text, f"report lacks {label} {value!r}"
    # one row per claim, linked to its page, with the claim's own words
    rows = re.findall(r'<tr class="row-(?:odd|even)"><td><p><a class="reference internal" href="([^"#]+)[^"]*">[^<]*#(\d+)</a></p></td>\s*<td><p>(.*?)</p></td>', html, re.S)
    claims = [(href, int(n), " ".join(re.sub(r"<[^>]+>", "", claim).split())) for href, n, claim in rows]
    assert len(claims) == total, f"the report lists {len(claims)} claims, the pages show {total}"
    expected = Counter(" ".join(c.claim.split()) for found in per_page.values() for c in found)
    listed = Counter(htmllib.unescape(c) for _, _, c in claims)
    assert listed == expected, f"claims differ: missing {expected - listed}, extra {listed - expected}"
    for page, found in per_page.items():
        assert sum(1 for href, _, _ in claims if href == page) == len(found), page
    record("verification.html", "claims", total)
