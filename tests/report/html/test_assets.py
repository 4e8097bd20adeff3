"""The embedded chart library: built once by vl-convert, then read from the cache folder."""

from __future__ import annotations

import pytest

from scrisk.report.html import assets


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRISK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(assets, "_future", None)
    return tmp_path


def test_bundle_defines_vega_embed_and_is_cached(fresh, monkeypatch):
    text = assets.vega_bundle()
    assert "window.vegaEmbed=" in text and "window.vega=" in text
    files = list(fresh.glob("vega-bundle-*.js"))
    assert len(files) == 1 and files[0].read_text(encoding="utf-8") == text
    # a new process (state reset) reads the cache and never calls vl-convert's bundler
    import vl_convert

    monkeypatch.setattr(assets, "_future", None)
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda **kw: pytest.fail("bundler called"))
    assert assets.vega_bundle() == text


def test_a_broken_cache_file_is_rebuilt(fresh, monkeypatch):
    import vl_convert

    path = assets._cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("truncated", encoding="utf-8")
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda **kw: "/*x*/window.vegaEmbed=1;")
    assert assets.vega_bundle() == "/*x*/window.vegaEmbed=1;"
    assert path.read_text(encoding="utf-8") == "/*x*/window.vegaEmbed=1;"


def test_an_unwritable_cache_folder_still_gives_the_bundle(monkeypatch, tmp_path):
    import vl_convert

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SCRISK_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.setattr(assets, "_future", None)
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda **kw: "window.vegaEmbed=2;")
    assert assets.vega_bundle() == "window.vegaEmbed=2;"


def test_versions_name_the_libraries():
    v = assets.versions()
    assert v["vega-lite"] == assets.vegalite_version() and v["vega"].count(".") == 2
