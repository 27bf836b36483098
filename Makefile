# Build and test the convbook book. Everything runs inside ./.venv, which is
# created and filled from constraints.txt on first use.
#
#   make html       build the book into _build/html (incremental, cached)
#   make page PAGE=name  build one page alone (quick check while writing)
#   make test       a strict, fresh build of the book, then every test (unit
#                   tests, build tests, and the browser tests of that build)
#   make pdf        (optional) the whole book as one PDF, _build/pdf/convbook.pdf
#   make serve      preview _build/html on http://127.0.0.1:$(PORT)
#   make linkcheck  check external links (needs a network)
#   make lock       re-resolve constraints.txt from pyproject.toml
#   make clean      remove build output (keeps .venv); clean-all removes .venv too

PYTHON      ?= python3
# The oldest Python the book runs on (README.md, pyproject.toml's requires-python).
PYTHON_MIN  := 3.11
VENV        := .venv
VPY         := $(VENV)/bin/python
LOCK        := constraints.txt
STAMP       := $(VENV)/.convbook-installed
PORT        ?= 8000

SOURCEDIR   := docs
BUILDDIR    := _build
# -W: warnings are errors; --keep-going: report all of them; -n: nitpicky
# (every cross-reference must resolve); -T: full tracebacks in the log.
# Every page runs to its end; then a failing claim or code cell fails the
# build, listed last (docs/_ext/convbook_checks.py), and a good build ends
# with a summary of what it verified.
STRICTOPTS  := -W --keep-going -n -T
SPHINXOPTS  ?=
SPHINXBUILD := $(VPY) -m sphinx -c .

PIP         := $(VPY) -m pip --disable-pip-version-check

.PHONY: html page test strict unit pdf serve linkcheck lock clean clean-all venv

# ---------------------------------------------------------------- environment

# Refuse a missing or too old $(PYTHON) before anything is created: one line,
# then stop. Checked only when $(PYTHON) is about to be used: before .venv
# exists (any goal but clean), or for `make lock`.
ifneq ($(if $(wildcard $(VPY)),$(filter lock,$(MAKECMDGOALS)),$(filter-out clean clean-all,$(or $(MAKECMDGOALS),default))),)
PYTHON_FOUND := $(shell $(PYTHON) -c 'import sys; v = sys.version_info; print("%d.%d.%d" % v[:3], "ok" if v[:2] >= tuple(map(int, "$(PYTHON_MIN)".split("."))) else "old")' 2>/dev/null)
ifneq ($(word 2,$(PYTHON_FOUND)),ok)
$(error $(PYTHON) is $(if $(PYTHON_FOUND),Python $(firstword $(PYTHON_FOUND)),not a Python that runs); the book needs Python $(PYTHON_MIN) or newer: point the Makefile at another, e.g. make $(or $(firstword $(MAKECMDGOALS)),html) PYTHON=python3.12)
endif
endif

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml or the lock file change (or the venv is
# new). The build backend (hatchling + editables) is pinned in the lock too and the editable install is built
# without isolation, so nothing unpinned enters the environment.
$(STAMP): pyproject.toml $(LOCK) | $(VPY)
	$(PIP) install -q -c $(LOCK) hatchling editables
	$(PIP) install -q -c $(LOCK) --no-build-isolation -e ".[docs,test]"
	$(PIP) check
	touch $@

venv: $(STAMP)

# ---------------------------------------------------------------- book

# Incremental: only changed pages are re-read; notebooks re-run only when
# their code or the engine (src/convbook, NumPy, Python) changed -- see the
# fingerprint in docs/_ext/convbook_cache.py.
html: $(STAMP)
	$(SPHINXBUILD) -b html $(STRICTOPTS) $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/html

# The strict build used by `make test`: a fresh environment (-E), every
# notebook executed (nb_execution_mode=force), same warnings-as-errors flags.
# It goes to its own directory, wiped first, so that (a) nothing from an
# earlier build -- doctrees, jupyter_execute outputs, cache -- can leak into
# it, and (b) it never disturbs the incremental _build/html of `make html`.
# (myst-nb writes executed notebooks next to the output dir, so html/ sits in
# _build/strict/ to keep its jupyter_execute/ separate too.)
strict: $(STAMP)
	rm -rf $(BUILDDIR)/strict
	$(SPHINXBUILD) -b html -E $(STRICTOPTS) -D nb_execution_mode=force $(SPHINXOPTS) \
	    $(SOURCEDIR) $(BUILDDIR)/strict/html

# Build one page alone, quickly, while writing it: make page PAGE=pooling
# (not strict: links to the pages left out are reported but do not fail).
page: $(STAMP)
	@test -n "$(PAGE)" || { echo "usage: make page PAGE=<docs/NAME.md without .md>" >&2; exit 2; }
	CONVBOOK_ONLY=$(PAGE) CONVBOOK_CACHE_ROOT=$(BUILDDIR)/page-$(PAGE)/.jupyter_cache \
	    $(SPHINXBUILD) -b html -n -T --keep-going $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/page-$(PAGE)/html

unit: $(STAMP)
	$(VPY) -m pytest

# Both parts always run; the target fails if either failed (pytest's exit 5,
# "no tests collected", counts as a failure). pytest runs last so that its
# summary line closes the log. CONVBOOK_SITE hands the strict build to the
# site tests (tests/site/), which then must find it.
test: $(STAMP)
	@status=0; \
	$(MAKE) --no-print-directory strict || status=$$?; \
	CONVBOOK_SITE="$(abspath $(BUILDDIR))/strict/html" $(MAKE) --no-print-directory unit || status=$$?; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED" >&2; fi; \
	exit $$status

# The whole book as one PDF: the built pages, in the order of the contents,
# printed by the browser the browser tests use (tests/site/browser.py finds
# it) in the light theme, with contents, page numbers and internal links. No
# LaTeX. PDF_FROM=<built site> prints an existing build instead of `make html`'s.
PDF_FROM    ?=
pdf: $(if $(PDF_FROM),$(STAMP),html)
	PYTHONPATH=tests:tests/site $(VPY) -m print_pdf $(or $(PDF_FROM),$(BUILDDIR)/html) $(BUILDDIR)/pdf/convbook.pdf

serve: html
	@echo "Serving $(BUILDDIR)/html on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(VPY) -m http.server --bind 127.0.0.1 --directory $(BUILDDIR)/html $(PORT)

# Needs a network: external URLs (question link, DOIs, ...) are fetched.
# Offline, LINKCHECK_OFFLINE=1 make linkcheck ignores every external URL.
linkcheck: $(STAMP)
	$(SPHINXBUILD) -b linkcheck -W --keep-going $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/linkcheck

# ---------------------------------------------------------------- lock file

# Resolve pyproject's dependencies (+ extras, + the build backend) in a
# throw-away venv and record every installed distribution.
lock:
	rm -rf $(BUILDDIR)/lockenv
	$(PYTHON) -m venv $(BUILDDIR)/lockenv
	$(BUILDDIR)/lockenv/bin/python -m pip --disable-pip-version-check install -q hatchling editables -e ".[docs,test]"
	$(BUILDDIR)/lockenv/bin/python -m pip --disable-pip-version-check check
	{ echo "# Full transitive pins for pip install -c $(LOCK) -e \".[docs,test]\"."; \
	  echo "# Generated by 'make lock' with $$($(BUILDDIR)/lockenv/bin/python -V); do not edit by hand."; \
	  $(BUILDDIR)/lockenv/bin/python -m pip --disable-pip-version-check freeze --exclude-editable; \
	} > $(LOCK)
	rm -rf $(BUILDDIR)/lockenv

# ---------------------------------------------------------------- cleaning

clean:
	rm -rf $(BUILDDIR) .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-all: clean
	rm -rf $(VENV)
