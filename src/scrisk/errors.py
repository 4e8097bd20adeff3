"""Exception hierarchy for scrisk.

Every error scrisk raises on purpose derives from :class:`ScriskError`. Each
carries the process exit code the command-line interface uses for it, and a
message that says what went wrong, where (file and line when known) and how
to fix it. Library code raises these; only :mod:`scrisk.cli` prints them.

Exit codes (see README):

* 0 success
* 1 findings (a policy breach in ``check``, rejected rows in ``validate``)
* 2 usage error (bad option, unknown material, conflicting flags)
* 3 unreadable or invalid input (missing file, not a trade file, bad policy)
"""

from __future__ import annotations

__all__ = [
    "EXIT_OK",
    "EXIT_FINDINGS",
    "EXIT_USAGE",
    "EXIT_INPUT",
    "ScriskError",
    "UsageError",
    "InputError",
    "UnreadableFileError",
    "FormatDetectionError",
    "ColumnMappingError",
    "FlowSchemaError",
    "UnknownMaterialError",
    "UnknownCountryError",
    "ConfigError",
    "TooManyRejectedError",
    "ScenarioError",
    "PolicyError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3


class ScriskError(Exception):
    """Base class for all scrisk errors.

    Parameters
    ----------
    message : str
        One line: what, where, and how to fix it.
    path : str, optional
        The file the error is about.
    line : int, optional
        1-based line number in ``path`` (header is line 1).
    """

    exit_code: int = EXIT_INPUT

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return the message prefixed with ``path:line:`` when known."""
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        return where + self.message


class UsageError(ScriskError):
    """Raised when options are wrong or conflict (exit code 2)."""

    exit_code = EXIT_USAGE


class InputError(ScriskError):
    """Raised when an input cannot be used at all (exit code 3)."""

    exit_code = EXIT_INPUT


class UnreadableFileError(InputError):
    """Raised when a file is missing, empty, unreadable or undecodable."""


class FormatDetectionError(InputError):
    """Raised when a file's layout matches no known trade-file format."""


class ColumnMappingError(UsageError):
    """Raised when a ``--columns`` mapping names columns the file lacks."""


class FlowSchemaError(InputError):
    """Raised when a frame handed to scrisk breaks the canonical flow schema."""


class UnknownMaterialError(UsageError):
    """Raised when a material basket name is not in the registry."""


class UnknownCountryError(UsageError):
    """Raised when a country code or group given as an option is unknown."""


class TooManyRejectedError(ScriskError):
    """More of the input value was rejected as defects than ``--max-rejected`` / ``--strict`` allows (exit 1)."""

    exit_code = EXIT_FINDINGS


class ConfigError(InputError):
    """Raised when a TOML file (baskets, mapping profiles) is invalid."""


class ScenarioError(ConfigError):
    """Raised when a shock scenario file or option is invalid."""


class PolicyError(ConfigError):
    """Raised when a ``check`` policy file is invalid."""
