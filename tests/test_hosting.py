"""Publishing the book: Read the Docs builds what `make test` checks, and the URLs follow the host."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

from helpers import ROOT


def _settings(monkeypatch, **environ) -> dict:
    """conf.py's settings, read as Sphinx reads them, under ``environ``."""
    from sphinx.config import eval_config_file
    from sphinx.util.tags import Tags

    monkeypatch.setenv("JUPYTER_PATH", "")
    for name in ("CONVBOOK_BASEURL", "READTHEDOCS_CANONICAL_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return eval_config_file(ROOT / "conf.py", Tags())


def test_conf_follows_the_host(monkeypatch):
    """Read the Docs' canonical URL sets the 404 page's prefix and the base URL; locally neither."""
    conf = _settings(monkeypatch, READTHEDOCS_CANONICAL_URL="https://convbook.readthedocs.io/en/latest/")
    assert conf["html_baseurl"] == "https://convbook.readthedocs.io/en/latest/"
    assert conf["notfound_urls_prefix"] == "/en/latest/"
    conf = _settings(monkeypatch)
    assert conf["html_baseurl"] == "" and conf["notfound_urls_prefix"] == "/"


def test_sitemap_lists_absolute_urls():
    from convbook_site import sitemap_xml

    xml = sitemap_xml("https://example.org/en/latest", ["index.html", "a&b.html"])
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.fromstring(xml.encode()).findall("s:url/s:loc", ns)]
    assert locs == ["https://example.org/en/latest/index.html", "https://example.org/en/latest/a&b.html"]


def test_readthedocs_config_runs_the_strict_build():
    import yaml

    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert config["version"] == 2
    commands = " ; ".join(config["build"]["commands"])
    assert "make strict" in commands and "$READTHEDOCS_OUTPUT/html" in commands, commands
    assert config["build"]["tools"]["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"
