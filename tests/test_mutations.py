"""A book mutation test: plausible engine bugs must each fail the book on a claim.

Each entry of BREAKAGES is a bug a tired engineer could write in one public
function of the engine or in a model description (issue 10, item 3). It is
applied to its own copy of the repository; the pages that rely on the broken
function are built alone with `make page PAGE=...` (helpers.make_in_copy), and
the build must fail on a claim check: the failing claims, which the build lists
last (docs/_ext/convbook_checks.py), are parsed from the log and shown in the
test output. One more copy, with the engine intact, builds every page of the
table: those pages hold with the real engine, so each failure is the bug's doing.
A bug no page catches is a missing check: add one to the page.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, make_in_copy

from convbook.book.checks import CLAIM_FAILED

@dataclass(frozen=True)
class Breakage:
    """A bug: ``original`` (present exactly once in src/convbook/``file``) replaced by ``broken``.

    ``pages`` are the pages built with the broken engine; their checks must catch it.
    """

    function: str  # what is broken, as the pages call it
    file: str
    original: str
    broken: str
    pages: tuple[str, ...]


_CONV2D_CALL = '    return _conv(ConvArgs("conv2d", x, weight, bias, stride, padding, dilation, groups, 2))'
_TYPE1_CALL = '    return _run(ConvArgs("conv2d_type1", x, depthwise, biases, stride, padding, dilation, c_in, 2))'
_LRN_RETURN = "    return x / (k + alpha * energy) ** beta"

#: The mutation table: a name in words -> the bug and the pages that must catch it.
BREAKAGES = {
    # ---- counting and shapes
    "parameter count ignores groups": Breakage(
        "conv2d_param_count", "counting.py",
        "def conv2d_param_count(c_in, c_out, kernel_size, *, groups=1, bias=True) -> int:",
        "def conv2d_param_count(c_in, c_out, kernel_size, *, groups=1, bias=True) -> int:\n"
        "    groups = 1  # broken on purpose by tests/test_build.py",
        ("alexnet",)),
    "MAC count ignores groups": Breakage(
        "conv2d_macs", "counting.py",
        "    return math.prod(output_size) * c_out * (c_in // groups) * k_h * k_w",
        "    return math.prod(output_size) * c_out * c_in * k_h * k_w",
        ("errata-mobilenets",)),
    # Rounding bugs that change a map size of AlexNet or GoogLeNet stop `import
    # convbook.models` (a description checks that its layers chain), so every
    # page that imports the models fails before its claims run; they are
    # caught as claims on pages without the models.
    "output size rounds up instead of down": Breakage(
        "conv_output_size", "shapes.py",
        "    return output_length(size, extent, stride, padding, ceil_mode=bool(ceil_mode))",
        "    return output_length(size, extent, stride, padding, ceil_mode=True)",
        ("snippets",)),
    "cuda-convnet output size counts the padding once": Breakage(
        "cuda_convnet_output_size", "shapes.py",
        "    span = size + 2 * padding - kernel_size",
        "    span = size + padding - kernel_size",
        ("errata-alexnet",)),
    "receptive field off by one (starts at 0)": Breakage(
        "receptive_field", "shapes.py",
        "    size, jump = 1, 1",
        "    size, jump = 0, 1",
        ("three-readings",)),
    # ---- the three readings
    "type 1 map order swapped (k·C_in + c)": Breakage(
        "conv2d_type1", "readings.py", _TYPE1_CALL,
        _TYPE1_CALL.replace("return ", "out = ") + "\n"
        "    n, _, h, w = out.shape\n"
        "    return out.reshape(n, c_in, -1, h, w).swapaxes(1, 2).reshape(n, -1, h, w)",
        ("three-readings",)),
    "type 2.1 averages over the maps instead of summing": Breakage(
        "conv2d_type2_1", "readings.py",
        "    shared = np.broadcast_to(weight[:, None], ",
        "    shared = np.broadcast_to(weight[:, None] / x.shape[1], ",
        ("three-readings",)),
    "type 2.2 drops its bias": Breakage(
        "conv2d_type2_2", "readings.py",
        '    return _run(ConvArgs("conv2d_type2_2", x, weight, bias,',
        '    return _run(ConvArgs("conv2d_type2_2", x, weight, None,',
        ("three-readings",)),
    # ---- convolution
    "kernel flipped (convolution instead of cross-correlation)": Breakage(
        "conv2d", "conv.py", _CONV2D_CALL,
        "    weight = np.asarray(weight)[..., ::-1, ::-1]\n" + _CONV2D_CALL,
        ("misconceptions",)),
    "bias added twice": Breakage(
        "conv2d (and every reading)", "conv.py",
        "        out += args.bias.reshape(-1, *(1,) * len(args.kernel_size))",
        "        out += args.bias.reshape(-1, *(1,) * len(args.kernel_size))\n"
        "        out += args.bias.reshape(-1, *(1,) * len(args.kernel_size))",
        ("three-readings",)),
    "padding applied on the top and left only": Breakage(
        "conv2d", "conv.py", _CONV2D_CALL,
        "    p = padding if isinstance(padding, int) else padding[0]\n"
        "    x = np.pad(np.asarray(x), ((0, 0), (0, 0), (p, 0), (p, 0)))\n"
        + _CONV2D_CALL.replace("stride, padding,", "stride, 0,"),
        ("three-readings",)),
    "stride ignored along the width": Breakage(
        "conv2d", "conv.py", _CONV2D_CALL,
        "    s = stride if isinstance(stride, int) else stride[0]\n"
        + _CONV2D_CALL.replace("bias, stride,", "bias, (s, 1),"),
        ("which-one",)),
    "3-D kernel reversed along depth": Breakage(
        "conv3d", "conv.py",
        '    return _conv(ConvArgs("conv3d", x, weight, bias, stride, padding, dilation, groups, 3))',
        "    weight = np.asarray(weight)[:, :, ::-1]\n"
        '    return _conv(ConvArgs("conv3d", x, weight, bias, stride, padding, dilation, groups, 3))',
        ("sliding-order",)),
    # ---- pooling and across-map operations
    "max pooling also spans the next map": Breakage(
        "max_pool2d", "pool.py",
        "    return _pool(args, args.x.dtype, fill, np.maximum)",
        "    out = _pool(args, args.x.dtype, fill, np.maximum)\n"
        "    return np.maximum(out, np.roll(out, -1, axis=1))",
        ("pooling",)),
    "average pooling divides by the window's side, not its area": Breakage(
        "avg_pool2d", "pool.py",
        "    total /= divisor.astype(dtype)",
        "    total /= args.kernel_size[0]",
        ("pooling",)),
    "global average pooling sums instead of averaging": Breakage(
        "global_avg_pool2d", "pool.py",
        "    return x.mean(axis=(2, 3), keepdims=True,",
        "    return x.sum(axis=(2, 3), keepdims=True,",
        ("pooling",)),
    "LRN divides alpha by n (PyTorch's constant in the paper's form)": Breakage(
        "local_response_norm", "cross_channel.py", _LRN_RETURN,
        _LRN_RETURN.replace("alpha * energy", "alpha / size * energy"),
        ("pooling",)),
    "maxout takes the minimum": Breakage(
        "maxout", "cross_channel.py",
        "    return x.reshape(n, c // pieces, pieces, h, w).max(axis=2)",
        "    return x.reshape(n, c // pieces, pieces, h, w).min(axis=2)",
        ("pooling",)),
    # ---- the model descriptions
    "AlexNet's conv4 loses its two-GPU groups": Breakage(
        "convbook.models.alexnet.ALEXNET", "models/alexnet.py",
        '        Conv("conv4", 384, 384, 3, padding=1, groups=2),',
        '        Conv("conv4", 384, 384, 3, padding=1),',
        ("alexnet",)),
    "GoogLeNet 4c's #3×3 reduce mistyped (112 for 128)": Breakage(
        "convbook.models.googlenet.INCEPTION", "models/googlenet.py",
        '        Inception("4c", 512, 128, 128, 256, 24, 64, 64),',
        '        Inception("4c", 512, 128, 112, 256, 24, 64, 64),',
        ("errata-googlenet",)),
    "Inception concatenates its branches in reverse order": Breakage(
        "convbook.models.forward", "models/run.py",
        "    return np.concatenate(outs, axis=1)",
        "    return np.concatenate(outs[::-1], axis=1)",
        ("googlenet",)),
    "shape table counts MACs at the input size": Breakage(
        "convbook.models.shape_table", "models/network.py",
        "conv2d_macs(c, layer.out_channels, k, size, groups=g)",
        "conv2d_macs(c, layer.out_channels, k, (h, w), groups=g)",
        ("errata-googlenet",)),
}

#: How the list of failures at the end of a failed build starts (docs/_ext/convbook_checks.py).
FAILED_BUILD_HEAD = "convbook: the book does not verify"
_FAILURE_LINE = re.compile(r"^  (?P<source>\S+?\.md)(?::(?P<line>\d+))?: (?P<message>.+)$")


@dataclass(frozen=True)
class Failed:
    """One line of a failed build's closing list: a claim that did not hold, or another failed cell."""

    page: str
    line: int | None
    claim: str | None  # None: the cell raised something else
    message: str


def failures_in_log(log: str) -> list[Failed]:
    """The failures a build lists after ``FAILED_BUILD_HEAD`` (its last lines), in order."""
    lines = log.splitlines()
    heads = [n for n, line in enumerate(lines) if line.startswith(FAILED_BUILD_HEAD)]
    found = []
    for line in lines[heads[-1] + 1:] if heads else []:
        match = _FAILURE_LINE.match(line)
        if match is None:
            break
        message = match["message"]
        claim = None
        if message.startswith(f"{CLAIM_FAILED}: "):
            claim = message[len(CLAIM_FAILED) + 2:].split(": computed ", 1)[0]
        found.append(Failed(Path(match["source"]).stem, match["line"] and int(match["line"]), claim, message))
    return found


def _make_page(repo: Path, pages: tuple[str, ...]) -> tuple[int, str]:
    """Run `make page PAGE=<pages>` in a copy of the repository; return (exit code, log)."""
    return make_in_copy(repo, "page", f"PAGE={','.join(pages)}")


@dataclass
class Build:
    pages: tuple[str, ...]
    returncode: int | None = None
    log: str = ""
    seconds: float = 0.0
    error: str = ""  # the bug could not be applied


#: The name of the build with the engine intact, among the mutation builds.
INTACT = "(engine intact)"


@dataclass
class Mutations:
    builds: dict[str, Build]
    seconds: float  # wall time of all the builds


@pytest.fixture(scope="module")
def mutation_builds(tmp_path_factory) -> Mutations:
    """Every breakage built in its own copy of the repository, plus the intact engine; two builds at a time."""
    # `make test` runs through make, so make is there; a plain pytest without it fails, never skips.
    assert shutil.which("make"), "make is not installed: the mutation test builds pages with `make page`"
    base = tmp_path_factory.mktemp("mutations")
    pristine = base / "pristine"
    shutil.copytree(ROOT, pristine, ignore=shutil.ignore_patterns(
        ".venv", "_build", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "*.ipynb", ".ipynb_checkpoints"))
    every_page = tuple(dict.fromkeys(p for b in BREAKAGES.values() for p in b.pages))
    builds = {INTACT: Build(every_page), **{name: Build(b.pages) for name, b in BREAKAGES.items()}}
    jobs = []
    for number, (name, build) in enumerate(builds.items()):
        repo = base / f"m{number:02d}"
        shutil.copytree(pristine, repo)
        if name != INTACT:
            bug = BREAKAGES[name]
            source = repo / "src" / "convbook" / bug.file
            text = source.read_text()
            if text.count(bug.original) != 1:
                build.error = (f"src/convbook/{bug.file}: the text to break is there "
                               f"{text.count(bug.original)} times, not once")
                continue
            source.write_text(text.replace(bug.original, bug.broken))
        jobs.append((build, repo))

    def run(job):
        build, repo = job
        start = time.monotonic()
        build.returncode, build.log = _make_page(repo, build.pages)
        build.seconds = time.monotonic() - start

    start = time.monotonic()
    # The intact build has the most pages: start it first.
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        list(pool.map(run, jobs))
    return Mutations(builds, time.monotonic() - start)


def test_the_pages_that_catch_a_broken_engine_hold_with_the_engine_intact(mutation_builds, capsys):
    """Every page of the mutation table builds with the real engine, so each bug's failures are its own."""
    build = mutation_builds.builds[INTACT]
    assert build.returncode == 0, (f"make page PAGE={','.join(build.pages)} fails with the engine intact, so the "
                                   f"mutation test could not tell a bug's failures from the book's:\n{build.log}")
    assert "all held" in build.log, build.log
    with capsys.disabled():
        print(f"\nmutation test: {len(BREAKAGES)} bugs; with the engine intact {len(build.pages)} pages build in "
              f"{build.seconds:.0f} s; all {len(mutation_builds.builds)} builds took "
              f"{mutation_builds.seconds:.0f} s (two at a time)")


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_engine_fails_the_book(mutation_builds, name, capsys):
    """Break one function of the engine in a copy; the pages relying on it must fail on a claim.

    The failing claims are read from the end of the build's log and shown.
    """
    bug, build = BREAKAGES[name], mutation_builds.builds[name]
    assert not build.error, build.error
    where = f"make page PAGE={','.join(build.pages)}"
    assert build.returncode != 0, f"{where} still builds with {bug.function} broken ({name}):\n{build.log}"
    failed = failures_in_log(build.log)
    claims = [f for f in failed if f.claim is not None]
    assert claims, (f"{where} failed with {bug.function} broken ({name}), but on no claim check "
                    f"(no '{FAILED_BUILD_HEAD}' list naming a claim at the end of its log):\n{build.log}")
    assert {f.page for f in claims} & set(bug.pages), \
        f"no claim of {', '.join(bug.pages)} failed with {bug.function} broken ({name}), only: {claims}"
    with capsys.disabled():
        print(f"\n  {name} [{bug.function}] -> {len(claims)} claims fail"
              + (f", {len(failed) - len(claims)} other cells raise" if len(failed) > len(claims) else "")
              + f" ({build.seconds:.0f} s):")
        for f in claims[:3]:
            print(f"      {f.page}.md, cell at line {f.line}: {f.claim}")
        if len(claims) > 3:
            print(f"      ... and {len(claims) - 3} more")
