"""What the browser tests run inside a page, and how they read the answers.

The JavaScript lives in tests/site/probes/*.js (one function each); axe-core
comes from the axe-playwright-python package.
"""

from __future__ import annotations

import functools
from pathlib import Path

PROBES = Path(__file__).resolve().parent / "probes"

#: WCAG AA contrast for text (figure text and axes must reach it against the page).
TEXT_CONTRAST = 4.5
#: A figure's data must stand out from the page as WCAG asks of graphics
#: (3:1): at least a tenth of its data pixels this far from the background
#: (black on near-black is ~1.1, white on white 1.0; tab:orange on white only
#: 2.5, so the pages use #d95f02: 3.8 on white, 4.7 on the dark page).
DATA_CONTRAST = 3.0


@functools.cache
def probe(name: str) -> str:
    """The function in probes/<name>.js, without its leading comment lines, for ``page.evaluate``."""
    lines = (PROBES / f"{name}.js").read_text(encoding="utf-8").splitlines()
    while lines and lines[0].lstrip().startswith("//"):
        lines.pop(0)
    return "\n".join(lines)


def axe(page) -> list[dict]:
    """axe-core's violations on the loaded page (every impact)."""
    from axe_playwright_python.base import AXE_FILE_PATH

    page.add_script_tag(path=str(AXE_FILE_PATH))
    # preload: false -- axe would otherwise re-fetch the stylesheets itself and
    # resolve the theme's @import "../basic.css" against the wrong base URL
    # (a spurious 404 for /basic.css); the browser resolves it correctly.
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations'], preload: false})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [", ".join(map(str, n["target"])) + "  " + n["html"][:160] for n in v["nodes"]][:8],
             "count": len(v["nodes"])}
            for v in result["violations"]]


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['count']} nodes)\n      "
                     + "\n      ".join(v["nodes"]) for v in violations)


def figure_problems(figures: list[dict], mode: str) -> list[str]:
    """What is wrong with the figures probe's answer (probes/figures.js) in ``mode``."""
    problems = []
    for n, fig in enumerate(figures, 1):
        name = f"figure {n} ({fig['alt']!r})"
        if fig["images"] != 2:
            problems.append(f"{name}: {fig['images']} images, expected a light and a dark variant")
            continue
        if fig["shown"] != [f"convbook-figure-{mode} only-{mode}"]:
            problems.append(f"{name}: in {mode} mode it shows {fig['shown']}, expected the {mode} variant only")
            continue
        if not fig["sameSize"]:
            problems.append(f"{name}: the light and dark variants differ in size; cannot tell ink from data")
        elif fig["inkPixels"] < 50:
            problems.append(f"{name}: no text or axes found (only {fig['inkPixels']} theme-coloured pixels)")
        elif fig["inkContrast"] < TEXT_CONTRAST:
            problems.append(f"{name}: text/axes contrast {fig['inkContrast']:.2f} against the {mode} page "
                            f"{fig['background']} is below {TEXT_CONTRAST}")
        if fig["dataPixels"] and fig["dataContrastP90"] < DATA_CONTRAST:
            problems.append(f"{name}: its data colours barely show on the {mode} page "
                            f"(90th-percentile contrast {fig['dataContrastP90']:.2f} < {DATA_CONTRAST})")
    return problems
