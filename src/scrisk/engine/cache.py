"""The parsed-input cache: accepted (and rejected) rows of an input file as Parquet, keyed by content and options.

Reading a 400 MB BACI year means parsing CSV text, mapping country codes,
repairing HS codes and accounting for every row. The result depends only on
the file's bytes, the reader options and the scrisk version, so it is kept:
a second run on the same file starts from a Parquet file instead of the CSV.
An entry holds one file's read, or the read of several files read together
(:meth:`InputCache.files_key`, used for the exact reader's results).

Layout of the cache root (``scrisk cache info`` shows it)::

    ROOT/
      CACHEDIR.TAG            marks the folder as a cache for backup tools
      stat-index.json         (path, size, mtime, ctime, inode, device) -> content hash
      entries/KEY/            one complete entry, published by one atomic rename
        accepted.parquet
        rejected.parquet      only when the reader rejected rows
        NAME.parquet          further tables of the read, when it has them (``extra``)
        entry.json            info dict, input path, options fingerprint, created, sizes
      tmp/HOST-PID-RANDOM/    work space of one running process

The root is the ``root`` argument, else ``$SCRISK_CACHE_DIR``, else
``$XDG_CACHE_HOME/scrisk``, else ``~/.cache/scrisk``. The size limit is the
``max_bytes`` argument, else ``$SCRISK_CACHE_MAX_BYTES`` (bytes, or a size
such as ``20GiB``), else 20 GiB; least-recently-used entries are dropped
after a write that exceeds it.

The cache never stops a run: a root that cannot be created or written (a
read-only home, a full disk) turns the cache off for the rest of the process
and says why once, in :attr:`InputCache.disabled_reason`.

Examples
--------
>>> import shutil, tempfile
>>> import pyarrow as pa, pyarrow.parquet as pq
>>> work = Path(tempfile.mkdtemp())
>>> src = work / "flows.csv"
>>> _ = src.write_text("t,i,j,k,v,q\\n2022,4,410,811292,1.5,2\\n")
>>> cache = InputCache(work / "cache")
>>> key = cache.key(src, options_fingerprint({"source": "baci"}))
>>> cache.get(key) is None
True
>>> entry = cache.put(key, pa.table({"year": [2022], "value_usd": [1500.0]}), {"rows_read": 1})
>>> hit = cache.get(key)
>>> hit.info, pq.read_table(hit.path_accepted).num_rows, hit.path_rejected
({'rows_read': 1}, 1, None)
>>> cache.info()["entries"], cache.clear(), cache.info()["entries"]
(1, 1, 0)
>>> shutil.rmtree(work)
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "CACHE_FORMAT",
    "DEFAULT_MAX_BYTES",
    "CacheEntry",
    "InputCache",
    "cached_table",
    "default_cache_root",
    "options_fingerprint",
    "parse_byte_size",
    "read_fingerprint",
]

#: Version of the on-disk layout and of the canonical tables stored in it.
#: Bump it whenever the readers' output changes without a scrisk version
#: change: every older entry then misses and is rebuilt.
CACHE_FORMAT = 6

#: Size limit when neither ``max_bytes`` nor ``$SCRISK_CACHE_MAX_BYTES`` is given.
DEFAULT_MAX_BYTES = 20 * 1024**3

_CHUNK = 8 * 1024 * 1024  # bytes read per step while hashing an input file
_HASH_NAME = "blake2b"  # content hash of input files (recorded in the stat index and in every key)
_ROW_GROUP_ROWS = 1 << 20  # rows buffered per Parquet row group when streaming batches
_ENTRIES, _TMP, _INDEX, _ENTRY_JSON = "entries", "tmp", "stat-index.json", "entry.json"
_ACCEPTED, _REJECTED = "accepted.parquet", "rejected.parquet"
_INDEX_MAX_FILES = 4096  # stat-index records kept (most recently seen first)
_STALE_TMP_SECONDS = 7 * 24 * 3600  # another host's work dirs older than this are removed
_CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# This file marks the scrisk parsed-input cache (https://bford.info/cachedir/).\n"
                 "# It can be deleted at any time: `scrisk cache clear`.\n")


@dataclass(frozen=True)
class CacheEntry:
    """One cached input: where its Parquet files are and what the reader reported.

    Attributes
    ----------
    path_accepted : Path
        Parquet file of the accepted rows in canonical form.
    path_rejected : Path or None
        Parquet file of the rejected rows, when the entry has one.
    info : dict
        The JSON-serialisable dict given to :meth:`InputCache.put` (row
        accounting, notes, HS revision...), as stored.
    extra : dict
        ``{name: Parquet file}`` of the further tables given to :meth:`InputCache.put`.
    """

    path_accepted: Path
    path_rejected: Path | None
    info: dict
    extra: dict = dataclasses.field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------------
# small helpers


def parse_byte_size(text: str | int) -> int:
    """Parse a size in bytes: an integer, or a number with a unit (kB, MB, GB, TB decimal; KiB, MiB, GiB binary).

    Examples
    --------
    >>> parse_byte_size("20GiB"), parse_byte_size("1.5 GB"), parse_byte_size("4096"), parse_byte_size(10)
    (21474836480, 1500000000, 4096, 10)
    >>> parse_byte_size("lots")
    Traceback (most recent call last):
    ...
    ValueError: not a size: 'lots' (use bytes, or a number with kB, MB, GB, TB, KiB, MiB, GiB, TiB)
    """
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"not a size: {text!r} (negative)")
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*", str(text), flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (use bytes, or a number with kB, MB, GB, TB, KiB, MiB, GiB, TiB)")
    number, unit = float(m.group(1)), (m.group(2) or "b").lower()
    power = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4}[unit[0]]
    base = 1024 if unit.endswith("ib") else 1000
    return int(round(number * base**power))


def default_cache_root(env: Mapping[str, str] | None = None) -> Path:
    """Where the cache lives: ``$SCRISK_CACHE_DIR``, else ``$XDG_CACHE_HOME/scrisk``, else ``~/.cache/scrisk``.

    Empty variables count as unset; a relative ``XDG_CACHE_HOME`` is ignored,
    as the XDG base-directory specification asks.

    Examples
    --------
    >>> default_cache_root({"SCRISK_CACHE_DIR": "/data/scrisk-cache", "XDG_CACHE_HOME": "/x"}).as_posix()
    '/data/scrisk-cache'
    >>> default_cache_root({"XDG_CACHE_HOME": "/var/cache/me"}).as_posix()
    '/var/cache/me/scrisk'
    >>> default_cache_root({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "scrisk"
    True
    """
    env = os.environ if env is None else env
    own = env.get("SCRISK_CACHE_DIR", "")
    if own:
        return Path(own).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "scrisk"
    return Path.home() / ".cache" / "scrisk"


def _canonical(value: Any) -> Any:
    """A JSON-ready, order-independent form of one option value (files named by resolved path and content)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # NaN and inf stay distinct and JSON-safe
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, PurePath):
        return _path_fingerprint(Path(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": f"{type(value).__module__}.{type(value).__qualname__}",
                **{f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bytes):
        return {"__bytes__": value.hex()}
    raise TypeError(f"cannot fingerprint a reader option of type {type(value).__name__}: {value!r}")


def _path_fingerprint(path: Path) -> dict:
    """A path option: its resolved form, plus the content hash when it is a regular file (a country table, a profile)."""
    resolved = path.expanduser().resolve(strict=False)
    out: dict[str, Any] = {"path": str(resolved)}
    try:
        if resolved.is_file():
            out[_HASH_NAME] = _hash_file(resolved)
    except OSError:
        out["unreadable"] = True
    return out


def options_fingerprint(options: Any) -> str:
    """A stable hash of reader options: a dataclass (:class:`~scrisk.io.options.ReadOptions`) or a dict.

    Keys are sorted and values put in a canonical JSON form: tuples and lists
    alike, sets sorted, enums by value, paths resolved. A path that names a
    regular file (``country_codes``, ``profiles``) also contributes the hash
    of its content, so editing a country table changes the fingerprint.
    Values of any other type raise TypeError rather than risk two different
    options sharing a fingerprint.

    Examples
    --------
    >>> from scrisk.io.options import ReadOptions
    >>> fp = options_fingerprint(ReadOptions(years=(2022,)))
    >>> len(fp), fp == options_fingerprint(ReadOptions(years=(2022,))), fp == options_fingerprint(ReadOptions())
    (32, True, False)
    >>> options_fingerprint({"b": 1, "a": (2, 3)}) == options_fingerprint({"a": [2, 3], "b": 1})
    True
    """
    text = json.dumps(_canonical(options), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def read_fingerprint(path: Path, options: Any) -> str:
    """:func:`options_fingerprint` of ``options`` plus the files a reader of ``path`` consults without being told.

    Two inputs change a read although no option names them: a BACI release's
    ``country_codes_*.csv`` beside the data file (used when
    ``country_codes`` is None), and ``./scrisk.toml`` (used when a
    ``profile`` is named without ``profiles``). Their paths and contents join
    the fingerprint, so editing or adding such a file means a fresh read.

    Examples
    --------
    >>> import tempfile; work = Path(tempfile.mkdtemp())
    >>> data = work / "BACI_HS17_Y2022_V202501.csv"; _ = data.write_text("t,i,j,k,v,q\\n")
    >>> before = read_fingerprint(data, {"country_codes": None})
    >>> _ = (work / "country_codes_V202501.csv").write_text("country_code,country_iso3\\n4,AFG\\n")
    >>> read_fingerprint(data, {"country_codes": None}) == before
    False
    >>> shutil.rmtree(work)
    """
    def option(name: str) -> Any:
        return options.get(name) if isinstance(options, Mapping) else getattr(options, name, None)

    implicit: dict[str, Any] = {}
    if option("country_codes") is None:
        implicit["country_codes_beside"] = sorted(Path(path).parent.glob("country_codes_*.csv"))
    if option("profile") and option("profiles") is None:
        from scrisk.io.profiles import DEFAULT_PROFILE_FILE

        implicit["profiles_default"] = Path.cwd() / DEFAULT_PROFILE_FILE
    return options_fingerprint({"options": options, "implicit": implicit})


def _hash_file(path: Path) -> str:
    """blake2b of a file's bytes, read in 8 MiB chunks into one reused buffer."""
    h = hashlib.new(_HASH_NAME)
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


def _stat_record(st: os.stat_result) -> dict[str, int]:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "ino": st.st_ino, "dev": st.st_dev}


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dir_size(path: Path) -> int:
    total = 0
    try:
        for e in os.scandir(path):
            try:
                total += e.stat(follow_symlinks=False).st_size
            except OSError:
                pass
    except OSError:
        pass
    return total


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class _SourceError(Exception):
    """Carries an exception raised by the caller's batch iterator (not by the cache) out of a put()."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


def _tagged(batches: Iterable[Any]) -> Iterator[Any]:
    """Yield from ``batches``; an exception the source raises comes out wrapped in _SourceError."""
    it = iter(batches)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - re-raised unchanged by put()
            raise _SourceError(exc) from exc
        yield batch


# ----------------------------------------------------------------------------------------------------------------
# the cache


class InputCache:
    """Parsed inputs as Parquet, keyed by file content, reader options, scrisk version and :data:`CACHE_FORMAT`.

    Parameters
    ----------
    root : Path, optional
        The cache folder; default :func:`default_cache_root` (``$SCRISK_CACHE_DIR``,
        ``$XDG_CACHE_HOME/scrisk``, ``~/.cache/scrisk``). Created on first use.
    enabled : bool
        False turns the cache off (``--no-cache``): :meth:`key` returns None
        and nothing is read or written. :attr:`disabled_reason` stays None,
        since nothing went wrong.
    max_bytes : int, optional
        Size limit; default ``$SCRISK_CACHE_MAX_BYTES``, else 20 GiB.

    Notes
    -----
    **Keys.** :meth:`key` hashes the file's bytes (blake2b, 8 MiB chunks) and
    combines that with the options fingerprint, the scrisk version and
    :data:`CACHE_FORMAT`. So that an unchanged 400 MB file is not rehashed on
    every run, ``stat-index.json`` remembers the content hash under the file's
    real path together with its size, modification time (ns), status-change
    time (ns), inode and device; the hash is reused only when all of them
    match, and the file is rehashed otherwise.

    The trade-off is the one ``make``, ``rsync`` and git accept: the stat
    fields stand in for the bytes. A rewrite of a different size is always
    seen. A same-size rewrite whose modification time is forced back (``cp
    -p``, ``touch -r``, ``os.utime``) is still seen, because it changes the
    status-change time, which no ordinary call can set. What stays possible
    is a same-size rewrite within one timestamp tick of the hashing (file
    systems stamp to a few milliseconds, FAT to 2 s): therefore a file whose
    times are younger than :attr:`RACY_SECONDS` when it is hashed is not
    recorded, and is hashed again next time. File systems that report no
    stable inode or change time (some network mounts) weaken the check;
    ``scrisk cache clear`` or ``--no-cache`` is the remedy there. Standard
    input, pipes and other non-regular files are never cached.

    **Writes.** :meth:`put` writes a whole entry into a private folder under
    ``tmp/`` and publishes it with one ``rename``: readers never see a part
    of an entry, and when two processes write the same key the first rename
    wins and the other discards its copy (both get the same, complete entry).

    **Eviction.** After a write that takes the cache over ``max_bytes`` the
    least recently used entries (a hit refreshes an entry) are removed, never
    the entry just written.
    """

    #: Files whose modification or change time is younger than this (seconds)
    #: when hashed are not put into the stat index (see Notes).
    RACY_SECONDS: float = 2.0

    def __init__(self, root: Path | None = None, *, enabled: bool = True, max_bytes: int | None = None):
        self.root = Path(root).expanduser() if root is not None else default_cache_root()
        self._wanted = bool(enabled)
        if max_bytes is None:
            env = os.environ.get("SCRISK_CACHE_MAX_BYTES", "").strip()
            if env:
                try:
                    max_bytes = parse_byte_size(env)
                except ValueError as exc:
                    from scrisk.errors import UsageError

                    raise UsageError(f"SCRISK_CACHE_MAX_BYTES: {exc}; e.g. SCRISK_CACHE_MAX_BYTES=20GiB") from None
            else:
                max_bytes = DEFAULT_MAX_BYTES
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._ready: bool | None = None  # None: not probed yet
        self._disabled_reason: str | None = None
        self._index: dict[str, dict] | None = None
        self._key_inputs: dict[str, dict] = {}
        self._tmp: Path | None = None

    # -- state ------------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"InputCache({str(self.root)!r}, enabled={self._wanted}, max_bytes={self.max_bytes})"

    @property
    def enabled(self) -> bool:
        """True when the cache reads and writes: wanted, and its root is usable (probed on first access)."""
        return self._probe()

    @property
    def disabled_reason(self) -> str | None:
        """Why a wanted cache is off (one line for a note), or None when it works or was turned off on purpose."""
        self._probe()
        return self._disabled_reason

    def _disable(self, what: str, exc: OSError) -> None:
        if self._disabled_reason is None:
            why = exc.strerror or str(exc)
            self._disabled_reason = (f"cache off: cannot {what} {self.root} ({why}); continuing without it. "
                                     "Set SCRISK_CACHE_DIR to a writable folder, or pass --no-cache")
        self._ready = False

    def _probe(self) -> bool:
        """Create the root and check it takes a file; on failure turn the cache off with one reason."""
        if self._ready is not None:
            return self._ready
        if not self._wanted:
            self._ready = False
            return False
        try:
            (self.root / _ENTRIES).mkdir(parents=True, exist_ok=True)
            (self.root / _TMP).mkdir(exist_ok=True)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                self._atomic_write(tag, _CACHEDIR_TAG)
            fd, probe = tempfile.mkstemp(dir=self.root / _TMP, prefix=".probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            self._disable("create or write to", exc)
            return False
        self._ready = True
        return True

    def _atomic_write(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    # -- keys -------------------------------------------------------------------------------------------------

    def _load_index(self) -> dict[str, dict]:
        try:
            data = json.loads((self.root / _INDEX).read_text(encoding="utf-8"))
            same = isinstance(data, dict) and data.get("format") == CACHE_FORMAT and data.get("hash") == _HASH_NAME
            files = data.get("files") if same else None
            return dict(files) if isinstance(files, dict) else {}
        except (OSError, ValueError):
            return {}

    def _remember(self, real: str, record: dict) -> None:
        """Put one file's stat record and hash into the index (re-read first, so other processes' records stay)."""
        files = self._load_index()
        files.pop(real, None)
        files[real] = record
        if len(files) > _INDEX_MAX_FILES:
            files = dict(sorted(files.items(), key=lambda kv: kv[1].get("seen", 0))[-_INDEX_MAX_FILES:])
        self._index = files
        try:
            self._atomic_write(self.root / _INDEX, json.dumps({"format": CACHE_FORMAT, "hash": _HASH_NAME, "files": files}))
        except OSError:
            pass  # losing a stat record only costs a rehash next time

    def content_hash(self, path: Path, *, compute: bool = True) -> str | None:
        """blake2b of a regular file's bytes, from the stat index when the file is unchanged; None for non-files.

        With ``compute=False`` nothing is hashed: the hash comes from the stat
        index or is None.

        Examples
        --------
        >>> import tempfile; work = Path(tempfile.mkdtemp())
        >>> f = work / "a.csv"; _ = f.write_bytes(b"abc")
        >>> InputCache(work / "c").content_hash(f) == hashlib.blake2b(b"abc").hexdigest()
        True
        >>> InputCache(work / "c").content_hash(work) is None
        True
        >>> shutil.rmtree(work)
        """
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        real = os.path.realpath(path)
        record = _stat_record(st)
        if self._probe():
            if self._index is None:
                self._index = self._load_index()
            known = self._index.get(real)
            if known and all(known.get(k) == v for k, v in record.items()) and known.get("content_hash"):
                return known["content_hash"]
        if not compute:
            return None
        digest = _hash_file(Path(real))
        if self._probe():
            try:
                after = os.stat(real)
            except OSError:
                return digest
            newest = max(after.st_mtime_ns, after.st_ctime_ns)
            steady = _stat_record(after) == record  # not rewritten while it was read
            settled = time.time_ns() - newest >= self.RACY_SECONDS * 1e9
            if steady and settled:
                self._remember(real, {**record, "content_hash": digest, "seen": time.time()})
        return digest

    def key(self, path: Path, options_fingerprint: str) -> str | None:
        """The cache key of ``path`` read with the options of ``options_fingerprint``.

        The key hashes the file's content hash (see :meth:`content_hash`),
        the options fingerprint, the scrisk version and :data:`CACHE_FORMAT`.
        Returns None, and hashes nothing, when the cache is off; returns None
        when ``path`` is not a regular file (``-``, a pipe, a device), which is
        never cached.

        Examples
        --------
        >>> import tempfile; work = Path(tempfile.mkdtemp())
        >>> f = work / "a.csv"; _ = f.write_text("x")
        >>> c = InputCache(work / "c")
        >>> k = c.key(f, "opts1")
        >>> len(k), k == c.key(f, "opts1"), k == c.key(f, "opts2"), c.key(work, "opts1")
        (40, True, False, None)
        >>> InputCache(work / "c", enabled=False).key(f, "opts1") is None
        True
        >>> shutil.rmtree(work)
        """
        if not self._probe():
            return None
        return self._key_of(path, self.content_hash(Path(path)), options_fingerprint)

    def known_key(self, path: Path, options_fingerprint: str) -> str | None:
        """The key of ``path`` when the stat index knows the file unchanged, else None; never hashes.

        For an engine that wants to overlap the hashing of a new or changed
        file with reading it: ``known_key`` first (a hit costs one ``stat``),
        and on None read the file while :meth:`key` runs in a thread (hashlib
        releases the GIL), then :meth:`put` under that key.

        Examples
        --------
        >>> import tempfile; work = Path(tempfile.mkdtemp())
        >>> f = work / "a.csv"; _ = f.write_text("x")
        >>> InputCache(work / "c").known_key(f, "opts") is None   # never hashed: unknown
        True
        >>> shutil.rmtree(work)
        """
        if not self._probe():
            return None
        return self._key_of(path, self.content_hash(Path(path), compute=False), options_fingerprint)

    def files_key(self, paths: Iterable[Path], options_fingerprint: str) -> str | None:
        """The cache key of several files read together (in this order) with the options of ``options_fingerprint``.

        One file gives the same key as :meth:`key`. None when the cache is off
        or any path is not a regular file.

        Examples
        --------
        >>> import tempfile; work = Path(tempfile.mkdtemp())
        >>> a, b = work / "a.csv", work / "b.csv"; _ = a.write_text("x"); _ = b.write_text("y")
        >>> c = InputCache(work / "c")
        >>> k = c.files_key([a, b], "opts")
        >>> k == c.files_key([a, b], "opts"), k == c.files_key([b, a], "opts"), c.files_key([a], "opts") == c.key(a, "opts")
        (True, False, True)
        >>> c.files_key([a, work], "opts") is None
        True
        >>> shutil.rmtree(work)
        """
        paths = [Path(p) for p in paths]
        if not self._probe() or not paths:
            return None
        if len(paths) == 1:
            return self.key(paths[0], options_fingerprint)
        digests = [self.content_hash(p) for p in paths]
        if any(d is None for d in digests):
            return None
        return self._key_of(paths, digests, options_fingerprint)

    def derived_key(self, paths: Iterable[Path], fingerprint: str) -> str | None:
        """The key of a result computed from ``paths`` (entries of this cache, or other files) by ``fingerprint``.

        A file that is an entry of this cache is named by its entry's key
        (entries never change once published, so nothing is hashed); any other
        file by its content hash. None when the cache is off or a path is not a
        regular file.

        Examples
        --------
        >>> import tempfile, pyarrow as pa; work = Path(tempfile.mkdtemp())
        >>> f = work / "a.csv"; _ = f.write_text("x")
        >>> c = InputCache(work / "c")
        >>> e = c.put(c.key(f, "opts"), pa.table({"a": [1]}), {})
        >>> k = c.derived_key([e.path_accepted], "indicators1")
        >>> k == c.derived_key([e.path_accepted], "indicators1"), k == c.derived_key([e.path_accepted], "other")
        (True, False)
        >>> shutil.rmtree(work)
        """
        paths = [Path(p) for p in paths]
        if not self._probe() or not paths:
            return None
        entries = os.path.realpath(self.root / _ENTRIES)
        names: list[str] = []
        for p in paths:
            real = os.path.realpath(p)
            folder, name = os.path.split(real)
            if os.path.dirname(folder) == entries and re.fullmatch(r"[0-9a-f]{16,128}", os.path.basename(folder)):
                names.append(f"entry:{os.path.basename(folder)}/{name}")
                continue
            digest = self.content_hash(Path(real))
            if digest is None:
                return None
            names.append(digest)
        key = self._key_of(paths, names, fingerprint)
        if key is not None:  # `scrisk cache info` says what the entry is computed from
            self._key_inputs[key]["path"] = "derived from " + self._key_inputs[key]["path"]
        return key

    def _key_of(self, path: Path | list[Path], digest: str | list[str] | None, options_fingerprint: str) -> str | None:
        if digest is None:
            return None
        from scrisk import __version__

        material = json.dumps([_HASH_NAME, digest, str(options_fingerprint), __version__, CACHE_FORMAT])
        key = hashlib.blake2b(material.encode("utf-8"), digest_size=20).hexdigest()
        where = ", ".join(os.path.realpath(p) for p in path) if isinstance(path, list) else os.path.realpath(path)
        self._key_inputs[key] = {"path": where, "content_hash": digest if isinstance(digest, str) else ",".join(digest),
                                 "options_fingerprint": str(options_fingerprint)}
        return key

    # -- reading ----------------------------------------------------------------------------------------------

    def _entry_dir(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{16,128}", str(key)):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / _ENTRIES / key

    @staticmethod
    def _read_manifest(folder: Path) -> dict | None:
        try:
            manifest = json.loads((folder / _ENTRY_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != CACHE_FORMAT:
            return None
        return manifest

    @staticmethod
    def _entry_from(folder: Path, manifest: dict) -> CacheEntry | None:
        """The entry, or None when a file is missing or its size differs from the one recorded."""
        files = manifest.get("files") or {}
        if _ACCEPTED not in files:
            return None
        for name, size in files.items():
            try:
                if (folder / name).stat().st_size != size:
                    return None
            except OSError:
                return None
        rejected = folder / _REJECTED if _REJECTED in files else None
        extra = {name[: -len(".parquet")]: folder / name for name in files
                 if name not in (_ACCEPTED, _REJECTED) and name.endswith(".parquet")}
        return CacheEntry(folder / _ACCEPTED, rejected, manifest.get("info") or {}, extra)

    def get(self, key: str | None) -> CacheEntry | None:
        """The entry stored under ``key``, or None (no entry, cache off, ``key`` None, or a damaged entry).

        A hit marks the entry as recently used; a damaged entry (a file
        missing or of the wrong size) is removed. Another process may evict
        an entry after it was returned: files already opened stay readable
        (POSIX), and a ``FileNotFoundError`` on opening one should be treated
        as a miss.
        """
        if key is None or not self._probe():
            return None
        folder = self._entry_dir(key)
        manifest = self._read_manifest(folder)
        if manifest is None:
            if folder.exists():
                self._discard(folder)
            return None
        entry = self._entry_from(folder, manifest)
        if entry is None:
            self._discard(folder)
            return None
        try:
            os.utime(folder)  # last use, for eviction
        except OSError:
            pass
        return entry

    # -- writing ----------------------------------------------------------------------------------------------

    def tmp_dir(self) -> Path:
        """A folder inside the cache root, on the same file system, for Parquet written before :meth:`put`.

        One folder per cache object, created on first call and removed when
        the object is garbage-collected or the process exits (a folder left by
        a killed process is removed by a later :meth:`put` or :meth:`clear`).
        When the cache is off it is a folder under the system temp directory.
        """
        if self._tmp is not None and self._tmp.is_dir():
            return self._tmp
        prefix = f"{socket.gethostname()}-{os.getpid()}-"
        if self._probe():
            try:
                path = Path(tempfile.mkdtemp(dir=self.root / _TMP, prefix=prefix))
            except OSError as exc:
                self._disable("create a folder in", exc)
                path = Path(tempfile.mkdtemp(prefix="scrisk-"))
        else:
            path = Path(tempfile.mkdtemp(prefix="scrisk-"))
        self._tmp = path
        weakref.finalize(self, _remove_tree, path)
        return path

    def put(
        self,
        key: str | None,
        accepted: "pa.Table | Iterable[pa.RecordBatch] | Path",
        info: dict,
        rejected: "pa.Table | Path | None" = None,
        extra: "Mapping[str, pa.Table | Path] | None" = None,
    ) -> CacheEntry | None:
        """Store one parsed input under ``key`` and return its entry (the stored files).

        Parameters
        ----------
        key : str
            From :meth:`key`. None (an uncacheable input) stores nothing.
        accepted : pyarrow.Table, iterable of pyarrow.RecordBatch, or Path
            The accepted rows. A table is written as it is; batches (a
            ``pyarrow.RecordBatchReader`` or any iterator) are streamed to
            Parquet in row groups of about a million rows, never held whole;
            a Path names a Parquet file already written (best inside
            :meth:`tmp_dir`, e.g. by DuckDB ``COPY``), which is moved in.
        info : dict
            JSON-serialisable facts about the read (row accounting, notes,
            HS revision); returned as :attr:`CacheEntry.info` on a hit.
        rejected : pyarrow.Table or Path, optional
            The rejected rows, stored as a second Parquet file.
        extra : dict, optional
            ``{name: pyarrow.Table or Path}``: further tables of the read
            (names of letters, digits and ``_``), stored as ``NAME.parquet``
            and returned in :attr:`CacheEntry.extra`.

        Returns
        -------
        CacheEntry or None
            The entry. When two processes store the same key, both get the one
            that was published first. None when nothing could be stored: the
            cache is off, ``key`` is None, or writing failed (a full disk;
            the cache then turns off with :attr:`disabled_reason`). After None
            a Path argument is left where it was, but an iterator may have
            been partly consumed: read the input again.

        Raises
        ------
        TypeError
            ``info`` is not JSON-serialisable.
        Exception
            Whatever the batch iterator raises, unchanged (the partial entry is removed).
        """
        text_info = json.dumps(info)  # TypeError early: a programming error, not a cache failure
        tables = [(_ACCEPTED, accepted), (_REJECTED, rejected)]
        for name, data in (extra or {}).items():
            if not re.fullmatch(r"[A-Za-z0-9_]+", name) or f"{name}.parquet" in (_ACCEPTED, _REJECTED):
                raise ValueError(f"not a name for a further table of a cache entry: {name!r}")
            tables.append((f"{name}.parquet", data))
        for _, given in tables:
            if isinstance(given, (str, os.PathLike)) and not Path(given).is_file():
                raise FileNotFoundError(f"no Parquet file to store in the cache: {given}")
        if key is None or not self._probe():
            return None
        existing = self.get(key)
        if existing is not None:  # published meanwhile by another process
            return existing
        final = self._entry_dir(key)
        staging: Path | None = None
        try:
            staging = Path(tempfile.mkdtemp(dir=self.root / _TMP,
                                            prefix=f"{socket.gethostname()}-{os.getpid()}-put-"))
            files, rows = {}, {}
            for name, data in tables:
                if data is None:
                    continue
                rows[name] = self._write_parquet(data, staging / name)
                files[name] = (staging / name).stat().st_size
            source = self._key_inputs.get(key) or {}
            manifest = {
                "format": CACHE_FORMAT,
                "key": key,
                "created": _utc(time.time()),
                "input": source.get("path") or info.get("input") or info.get("file"),
                "input_" + _HASH_NAME: source.get("content_hash"),
                "options_fingerprint": source.get("options_fingerprint"),
                "rows": {"accepted": rows.get(_ACCEPTED), "rejected": rows.get(_REJECTED)},
                "files": files,
                "info": json.loads(text_info),
            }
            (staging / _ENTRY_JSON).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            for _attempt in range(2):
                try:
                    os.rename(staging, final)
                    staging = None
                    break
                except OSError:
                    if not final.is_dir():
                        raise
                    if self.get(key) is not None:  # another process published this key first: keep its entry
                        break
                    # a damaged entry was in the way (get() removed it): try once more
        except _SourceError as exc:
            if staging is not None:
                _remove_tree(staging)
            raise exc.original from None
        except OSError as exc:
            if staging is not None:
                for name, data in tables:
                    if isinstance(data, (str, os.PathLike)) and (staging / name).is_file():
                        try:  # give the caller's finished Parquet back
                            shutil.move(str(staging / name), str(data))
                        except OSError:
                            pass
                _remove_tree(staging)
            self._disable("write to", exc)
            return None
        if staging is not None:
            _remove_tree(staging)
        entry = self.get(key)
        self._evict(keep=key)
        return entry

    def _write_parquet(self, data: Any, target: Path) -> int:
        """Write a table, batches or a finished Parquet file to ``target``; return its row count."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        compression = "zstd" if pa.Codec.is_available("zstd") else "snappy"
        if isinstance(data, (str, os.PathLike)):
            src = Path(data)
            rows = pq.read_metadata(src).num_rows  # also checks it is Parquet
            try:
                os.replace(src, target)
            except OSError:  # another file system: copy, then remove the original
                shutil.copyfile(src, target)
                src.unlink()
            return rows
        if isinstance(data, pa.Table):
            pq.write_table(data, target, compression=compression, row_group_size=_ROW_GROUP_ROWS)
            return data.num_rows
        schema = getattr(data, "schema", None)
        writer = pq.ParquetWriter(target, schema, compression=compression) if schema is not None else None
        rows, pending, pending_rows = 0, [], 0
        try:
            for batch in _tagged(data):
                if writer is None:
                    writer = pq.ParquetWriter(target, batch.schema, compression=compression)
                if batch.num_rows == 0:
                    continue
                pending.append(batch)
                pending_rows += batch.num_rows
                if pending_rows >= _ROW_GROUP_ROWS:  # write whole row groups, keep the remainder buffered
                    buffered = pa.Table.from_batches(pending)
                    full = (pending_rows // _ROW_GROUP_ROWS) * _ROW_GROUP_ROWS
                    writer.write_table(buffered.slice(0, full), row_group_size=_ROW_GROUP_ROWS)
                    rows += full
                    pending = buffered.slice(full).to_batches()
                    pending_rows -= full
            if writer is None:
                raise ValueError("no record batches and no schema: pass a pyarrow.Table or a RecordBatchReader")
            if pending_rows:
                writer.write_table(pa.Table.from_batches(pending, schema=writer.schema),
                                   row_group_size=_ROW_GROUP_ROWS)
                rows += pending_rows
        finally:
            if writer is not None:
                writer.close()
        return rows

    # -- housekeeping -----------------------------------------------------------------------------------------

    def _entries(self) -> list[tuple[Path, float, int]]:
        """(folder, last used, bytes) of every published entry."""
        out = []
        try:
            folders = list(os.scandir(self.root / _ENTRIES))
        except OSError:
            return out
        for e in folders:
            if not e.is_dir(follow_symlinks=False):
                continue
            try:
                used = e.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            out.append((Path(e.path), used, _dir_size(Path(e.path))))
        return out

    def _discard(self, folder: Path) -> bool:
        """Unpublish an entry with one rename (readers then miss it), then delete its files."""
        grave = self.root / _TMP / f"gone-{secrets.token_hex(8)}"
        try:
            grave.parent.mkdir(exist_ok=True)
            os.rename(folder, grave)
        except OSError:
            return False
        _remove_tree(grave)
        return True

    def _evict(self, keep: str | None = None) -> int:
        """Drop least-recently-used entries until the cache fits ``max_bytes``; return how many were dropped."""
        self._sweep_tmp()
        entries = self._entries()
        total = sum(size for _, _, size in entries)
        dropped = 0
        for folder, _, size in sorted(entries, key=lambda t: t[1]):
            if total <= self.max_bytes:
                break
            if folder.name == keep:
                continue
            if self._discard(folder):
                total -= size
                dropped += 1
        return dropped

    def _sweep_tmp(self) -> None:
        """Remove work folders of processes that no longer run (on this host), or week-old ones of other hosts."""
        host = socket.gethostname()
        own = {self._tmp.name} if self._tmp is not None else set()
        try:
            items = list(os.scandir(self.root / _TMP))
        except OSError:
            return
        now = time.time()
        for e in items:
            if e.name in own or not e.is_dir(follow_symlinks=False):
                continue
            pid = e.name[len(host) + 1:].split("-", 1)[0] if e.name.startswith(host + "-") else ""
            if e.name.startswith("gone-"):
                dead = True
            elif pid.isdigit():
                dead = not _pid_alive(int(pid))
            else:
                try:
                    dead = now - e.stat(follow_symlinks=False).st_mtime > _STALE_TMP_SECONDS
                except OSError:
                    dead = False
            if dead:
                _remove_tree(Path(e.path))

    def _state_without_creating(self) -> tuple[bool, str | None]:
        """(usable, reason) judged without creating anything (for :meth:`info`)."""
        if self._ready is not None or not self._wanted:
            return bool(self._ready), self._disabled_reason
        probe = self.root
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        if probe.is_dir() and os.access(probe, os.W_OK | os.X_OK):
            return True, None
        return False, (f"cache off: cannot create or write to {self.root} ({probe} is not a writable folder). "
                       "Set SCRISK_CACHE_DIR to a writable folder, or pass --no-cache")

    def info(self) -> dict:
        """What the cache holds: location, state, entries, total bytes, and one row per entry.

        Never creates the root. Each row has the key, the input file, the
        options fingerprint, the files and their sizes, the row counts, when
        the entry was created and last used, and its size. Rows are sorted by
        last use, most recent first.
        """
        rows = []
        for folder, used, size in self._entries():
            manifest = self._read_manifest(folder) or {}
            counts = manifest.get("rows") or {}
            rows.append({
                "key": folder.name,
                "input": manifest.get("input"),
                "options_fingerprint": manifest.get("options_fingerprint"),
                "files": sorted(manifest.get("files") or []),
                "rows_accepted": counts.get("accepted"),
                "rows_rejected": counts.get("rejected"),
                "created": manifest.get("created"),
                "last_used": _utc(used),
                "size_bytes": size,
                "valid": bool(manifest) and self._entry_from(folder, manifest) is not None,
                "_used": used,
            })
        rows.sort(key=lambda r: (r.pop("_used"), r["key"]), reverse=True)
        from scrisk import __version__

        usable, reason = self._state_without_creating()
        return {
            "location": str(self.root),
            "enabled": usable,
            "disabled_reason": reason,
            "entries": len(rows),
            "total_bytes": sum(r["size_bytes"] for r in rows),
            "max_bytes": self.max_bytes,
            "cache_format": CACHE_FORMAT,
            "scrisk_version": __version__,
            "rows": rows,
        }

    def report(self) -> dict:
        """:meth:`info` as a scrisk result, ``{"meta", "rows"}`` (what ``scrisk cache info -f json`` prints).

        ``meta`` holds the location, state, counts, limit, the environment
        variables that chose them, the scrisk version and the time; ``rows``
        one dict per entry.

        Examples
        --------
        >>> import tempfile; work = Path(tempfile.mkdtemp())
        >>> r = InputCache(work / "c", max_bytes=10**9).report()
        >>> r["meta"]["entries"], r["meta"]["max_bytes"], r["rows"], r["meta"]["inputs"] == [str(work / "c")]
        (0, 1000000000, [], True)
        >>> shutil.rmtree(work)
        """
        details = self.info()
        rows = details.pop("rows")
        meta = {
            "scrisk_version": details.pop("scrisk_version"),
            "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "inputs": [details["location"]],
            **details,
            "environment": {name: os.environ.get(name) for name in
                            ("SCRISK_CACHE_DIR", "XDG_CACHE_HOME", "SCRISK_CACHE_MAX_BYTES")},
        }
        return {"meta": meta, "rows": rows}

    def clear(self) -> int:
        """Remove every entry, the stat index and abandoned work folders; return the number of entries removed.

        Raises :class:`~scrisk.errors.UnreadableFileError` when entries exist
        but cannot be removed (no permission).
        """
        removed = 0
        failed: list[str] = []
        for folder, _, _ in self._entries():
            if self._discard(folder):
                removed += 1
            else:
                failed.append(folder.name)
        try:
            (self.root / _INDEX).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass
        self._index = None
        self._sweep_tmp()
        if failed:
            from scrisk.errors import UnreadableFileError

            raise UnreadableFileError(f"cannot remove {len(failed)} cache entries (removed {removed}); "
                                      "check the folder's permissions", path=str(self.root / _ENTRIES))
        return removed


#: Version of the derived tables kept in the cache (:func:`cached_table`); bump it when what they hold changes
#: in a way their query text does not show.
DERIVED_FORMAT = 1


def cached_table(con, name: str, query: str, *, cache: "InputCache | None", inputs: Iterable[str | Path],
                 fingerprint: Mapping[str, Any]) -> tuple[bool, Path | None]:
    """Create the temporary table ``name`` from ``query``, or from the cache when the same query ran on the same inputs.

    The key is :meth:`InputCache.derived_key` of the Parquet ``inputs`` the
    query reads and of a fingerprint of the query text, ``fingerprint`` (the
    values of the tables the query joins that are not in its text), the
    DuckDB version and :data:`DERIVED_FORMAT`. On a miss the table is built
    and stored (a failure to store only means the next run computes it
    again). Returns whether the table came from the cache, and the cache file
    that holds it (None when it is not stored): a table computed from this one
    names it in its own ``inputs``.

    Examples
    --------
    >>> import duckdb, tempfile; work = Path(tempfile.mkdtemp())
    >>> src = work / "flows.parquet"
    >>> duckdb.sql("SELECT 2024 AS year, 5.0::DOUBLE AS v").write_parquet(str(src))
    >>> c, q = InputCache(work / "c"), f"SELECT year, sum(v) AS v FROM read_parquet('{src}') GROUP BY year"
    >>> con = duckdb.connect()
    >>> cached_table(con, "_t", q, cache=c, inputs=[src], fingerprint={})[0], con.sql("SELECT * FROM _t").fetchall()
    (False, [(2024, 5.0)])
    >>> con.execute("DROP TABLE _t").fetchall()
    []
    >>> hit, stored = cached_table(con, "_t", q, cache=c, inputs=[src], fingerprint={})
    >>> hit, con.sql("SELECT * FROM _t").fetchall(), stored.name
    (True, [(2024, 5.0)], 'accepted.parquet')
    >>> shutil.rmtree(work)
    """
    import duckdb

    key = None
    if cache is not None:
        fp = options_fingerprint({"derived": DERIVED_FORMAT, "query": query, "duckdb": duckdb.__version__,
                                  "values": dict(fingerprint)})
        key = cache.derived_key([Path(p) for p in inputs], fp)
    entry = cache.get(key) if key is not None else None
    if entry is not None:
        try:
            con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM read_parquet('{_sql_path(entry.path_accepted)}')"
                        ).fetchall()
            return True, Path(entry.path_accepted)
        except duckdb.IOException:  # evicted by another process between get and read: compute it
            pass
    con.execute(f"CREATE TEMP TABLE {name} AS {query}").fetchall()
    if key is None:
        return False, None
    target = Path(tempfile.mkstemp(prefix="derived-", suffix=".parquet", dir=cache.tmp_dir())[1])
    try:
        con.execute(f"COPY {name} TO '{_sql_path(target)}' (FORMAT parquet, COMPRESSION snappy)").fetchall()
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    except duckdb.Error:
        target.unlink(missing_ok=True)
        return False, None
    stored = cache.put(key, target, {"kind": "derived", "table": name, "rows": int(rows)})
    if stored is None:
        target.unlink(missing_ok=True)
        return False, None
    return False, Path(stored.path_accepted)


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")
