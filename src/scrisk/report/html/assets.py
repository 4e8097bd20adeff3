"""The JavaScript a report embeds: Vega, Vega-Lite and vega-embed, bundled offline by vl-convert.

``vl_convert.javascript_bundle`` builds one self-contained script (about
0.9 MB) from the Vega libraries shipped inside the vl-convert-python wheel,
so a report needs no network, no CDN and no Node.js. Building it takes a
couple of seconds, so :func:`vega_bundle` keeps it in memory and in the user
cache folder (``$SCRISK_CACHE_DIR``, else ``$XDG_CACHE_HOME/scrisk``, else
``~/.cache/scrisk``), keyed by the library versions; :func:`prefetch` starts
the build in a background thread while the data is read and analysed.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Future
from pathlib import Path

__all__ = ["vega_bundle", "prefetch", "versions", "vegalite_version"]

_MARKER = "window.vegaEmbed="
_lock = threading.Lock()
_future: Future | None = None


def vegalite_version() -> str:
    """The Vega-Lite version (major.minor) of the Altair schema that builds the specs, as vl-convert names it."""
    import altair as alt
    import vl_convert as vlc

    want = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    have = vlc.get_vegalite_versions()
    return want if want in have else have[-1]


def versions() -> dict[str, str]:
    """Versions of the chart libraries in a report (for its provenance).

    Examples
    --------
    >>> sorted(versions())
    ['altair', 'vega', 'vega-embed', 'vega-lite', 'vl-convert-python']
    """
    from importlib.metadata import version

    import altair as alt
    import vl_convert as vlc

    return {
        "vega": vlc.get_vega_version(),
        "vega-lite": vegalite_version(),
        "vega-embed": vlc.get_vega_embed_version(),
        "altair": alt.__version__,
        "vl-convert-python": version("vl-convert-python"),
    }


def _cache_dir() -> Path:
    if os.environ.get("SCRISK_CACHE_DIR"):
        return Path(os.environ["SCRISK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scrisk"


def _cache_file() -> Path:
    key = "-".join(f"{k}{v}" for k, v in sorted(versions().items()))
    return _cache_dir() / f"vega-bundle-{hashlib.sha256(key.encode()).hexdigest()[:16]}.js"


def _build() -> str:
    import vl_convert as vlc

    path = _cache_file()
    try:
        text = path.read_text(encoding="utf-8")
        if _MARKER in text:
            return text
    except OSError:
        pass
    text = vlc.javascript_bundle(vl_version=vegalite_version())
    if _MARKER not in text:  # pragma: no cover - a vl-convert that changed its bundle's exports
        raise RuntimeError("vl-convert's JavaScript bundle no longer defines vegaEmbed; pin vl-convert-python")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: build again next time
    return text


def prefetch() -> Future:
    """Start building (or reading) the bundle in a background thread; return its future."""
    global _future
    with _lock:
        if _future is None or (_future.done() and _future.exception() is not None):
            fut: Future = Future()

            def run() -> None:
                try:
                    fut.set_result(_build())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
                    fut.set_exception(exc)

            threading.Thread(target=run, name="scrisk-vega-bundle", daemon=True).start()
            _future = fut
        return _future


def vega_bundle() -> str:
    """The Vega + Vega-Lite + vega-embed script (defines ``vegaEmbed``, ``vega``, ``vegaLite``)."""
    return prefetch().result()
