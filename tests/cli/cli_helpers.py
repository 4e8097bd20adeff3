"""Helpers shared by the CLI tests."""

from __future__ import annotations

import json
import sys

import pytest

from scrisk.cli import main


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process behind its error boundary; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["scrisk", *args])
    with pytest.raises(SystemExit) as ei:
        main()
    out, err = capsys.readouterr()
    return int(ei.value.code or 0), out, err


def strip_time(result: dict) -> dict:
    """Return a deep copy of a JSON result without ``meta.generated_at`` (for parity checks)."""
    result = json.loads(json.dumps(result))
    result["meta"].pop("generated_at", None)
    return result
