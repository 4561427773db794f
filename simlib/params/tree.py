"""The params tree: every file under ``params/``, read once per content, addressed by path.

:func:`read_tree` returns a :class:`ParamTree`: the bytes of every parameter file (not the
source documents under ``params/sources/``), their SHA-256 and a combined hash. Parsed
contents are cached by each file's content hash, so an edited file is always re-read (the
cache can never serve stale parameters) and the tree's hash is the hash of what was used.

A tree can be *changed* without touching disk: :meth:`ParamTree.with_documents` returns a
copy whose parsed documents carry overrides (scenarios and sensitivity samples use this), and
the same loaders then validate the result exactly like the files.

Loaders are also remembered by content (:func:`remembered`): a loader's result is kept with
the documents it read and what each held (a file's SHA-256, a replaced document's digest),
and given again only to a call with the same arguments on a tree whose documents it read
hold the same. A sensitivity design whose points each change one number of one document so
re-reads and re-validates that document's loaders only; different parameters never share a
result. Because every later caller gets the same object, a result is made read-only before
it is kept (:mod:`simlib.params.readonly`: changing it in place raises ``TypeError``, or
numpy's ``ValueError`` for an array; a census table given out is a copy-on-write copy); a
caller that must change one changes a copy (``copy.deepcopy`` gives a mutable one).

A params directory is *complete* (it holds every file a run reads) or an *overlay*: a
directory with an ``overlay.yaml`` (``overlay_of: bundled``) adds its files to simlib's
bundled params, and replaces a bundled file where it has one at the same path. A new city
needs only its three files in an overlay (``python -m simlib new-city 太原市`` writes them).
The tree's hash covers both layers.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.reader import MAX_BYTES, decode, parse_yaml, read_bytes, read_csv, sha256
from simlib.params.readonly import FrozenDict, FrozenList, freeze

#: Folders under params/ that hold source documents, not parameters (not hashed or parsed).
NOT_PARAMS = ("sources",)
#: Largest number of files a params tree may hold (a guard against pointing at ``/``).
MAX_FILES = 500
#: The file that makes a params directory an overlay of the bundled params.
OVERLAY = "overlay.yaml"
#: What an overlay may extend (today only simlib's bundled params).
OVERLAY_BASES = ("bundled",)


def default_params_dir() -> Path:
    """The bundled params: ``simlib/data`` in an installed wheel, ``params/`` in a checkout."""
    installed = importlib.resources.files("simlib") / "data"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "params"


def resolve_dir(params_dir: str | Path | None) -> Path:
    """The params directory to use (the bundled one when None), checked to exist."""
    root = default_params_dir() if params_dir is None else Path(params_dir).expanduser()
    if not root.is_dir():
        raise ParamError(f"params directory {str(root)!r} does not exist or is not a directory")
    if not (root / "cities").is_dir():
        raise ParamError(f"{root}: not a params tree (no cities/ folder)")
    return root.resolve()


@dataclass(frozen=True)
class ParamTree:
    """The parameter files of one params directory, with their content hashes.

    Attributes:
        root: The params directory.
        digests: Relative path → SHA-256 of the file's bytes.
        hash: SHA-256 over every (path, digest), in path order: the params hash.
        overrides: Relative path → parsed document replacing the file's (scenarios).
        changed_by: Relative path → what changed the document (a scenario), for errors.
        files: Relative path → the file read, where it is not ``root / path`` (the bundled
            files of an overlay).
        overlay: Whether ``root`` is an overlay of the bundled params.
        doc_digests: Relative path → SHA-256 of the replacing document (its canonical
            JSON), for each path in ``overrides``.
        base_hash: The hash of the files (before any replaced document): :attr:`hash` of
            the tree :func:`read_tree` returned.
    """

    root: Path
    digests: dict[str, str]
    hash: str
    overrides: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    changed_by: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    files: dict[str, Path] = field(default_factory=dict, compare=False, hash=False)
    overlay: bool = field(default=False, compare=False, hash=False)
    doc_digests: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    base_hash: str = field(default="", compare=False, hash=False)

    @property
    def base(self) -> str:
        """The hash of the files on disk (the same for every changed copy of a tree)."""
        return self.base_hash or self.hash

    def held(self, rel: str) -> tuple:
        """What the tree holds at ``rel``: the file's or the replacing document's digest.

        With what changed it (errors name it), so that two trees hold the same at ``rel``
        exactly when a loader reading ``rel`` gives them the same result.
        """
        if rel in self.overrides:
            digest = self.doc_digests.get(rel) or document_digest(self.overrides[rel])
            return ("doc", digest, self.changed_by.get(rel, ""))
        return ("file", self.digests.get(rel), self.changed_by.get(rel, ""))

    def file(self, rel: str) -> Path:
        """The file a relative path is read from."""
        return self.files.get(rel) or self.root / rel

    def __contains__(self, rel: str) -> bool:
        return rel in self.digests

    def paths(self, folder: str, suffix: str = ".yaml") -> list[str]:
        """Relative paths of the files directly in ``folder`` with ``suffix``, sorted."""
        pre = folder.rstrip("/") + "/"
        return sorted(
            p
            for p in self.digests
            if p.startswith(pre) and "/" not in p[len(pre) :] and p.endswith(suffix)
        )

    def where(self, rel: str) -> str:
        """How errors name a file: ``params/<rel>``, after what changed it if overridden."""
        name = f"params/{rel}"
        if self.overlay and rel not in self.files:
            name = str(self.root / rel)  # a file of the overlay: its own path
        if rel in self.changed_by:
            return f"{self.changed_by[rel]}: {name}"
        return name

    def _missing(self, rel: str) -> ParamError:
        """The error for a path the tree does not hold (a folder in place of a file...)."""
        read_bytes(self.root / rel, self.where(rel))  # raises, naming what is there instead
        return ParamError(f"{self.where(rel)}: file not found")

    def yaml(self, rel: str) -> Any:
        """The parsed YAML document at ``rel`` (a deep copy: callers may not mutate the cache).

        Raises:
            ParamError: If the file is missing or invalid.
        """
        _note(rel)
        if rel in self.overrides:
            return _copy(self.overrides[rel])
        if rel not in self.digests:
            raise self._missing(rel)
        return _copy(_parse(self.file(rel), self.digests[rel], self.where(rel)))

    def csv(self, rel: str, columns) -> Any:
        """The validated CSV table at ``rel`` (see :func:`simlib.core.reader.read_csv`)."""
        _note(rel)
        if rel not in self.digests:
            raise self._missing(rel)
        return _csv(self.file(rel), self.digests[rel], self.where(rel), columns).copy()

    def parquet(self, rel: str) -> Any:
        """The table of the Parquet file at ``rel`` as a DataFrame (whole numbers as ``Int64``).

        Raises:
            ParamError: If the file is missing or not a readable Parquet file.
        """
        _note(rel)
        if rel not in self.digests:
            raise self._missing(rel)
        return _parquet(self.file(rel), self.digests[rel], self.where(rel)).copy()

    def with_documents(
        self, docs: dict[str, Any], note: str, by: str = "", digests: dict[str, str] | None = None
    ) -> ParamTree:
        """A tree whose parsed documents at some paths are replaced (nothing on disk changes).

        Args:
            docs: Relative path → the new parsed document.
            note: What made the change (for the hash).
            by: What made the change, as errors about the new documents name it
                (``scenario <file>``).
            digests: The new documents' digests where the caller has them (documents it
                keeps unchanged, :func:`remembered`); the others are computed.

        Returns:
            The new tree; its :attr:`hash` covers the replacements.
        """
        over = {**self.overrides, **docs}
        # each new document's digest once (the documents kept from before keep theirs)
        known = digests or {}
        digests = {
            **self.doc_digests,
            **{k: known.get(k) or document_digest(v) for k, v in docs.items()},
        }
        text = json.dumps({k: digests[k] for k in sorted(over)}, sort_keys=True)
        changed = {**self.changed_by, **({k: by for k in docs} if by else {})}
        digest = sha256((self.hash + note + text).encode())
        return ParamTree(
            self.root,
            self.digests,
            digest,
            over,
            changed,
            self.files,
            self.overlay,
            digests,
            self.base,
        )


def document_digest(doc: Any) -> str:
    """SHA-256 of a parsed document's canonical JSON (dates and the like as text)."""
    return sha256(json.dumps(doc, default=str, sort_keys=True).encode())


# ------------------------------------------------------------------ loaders by content

#: The documents read by each remembered loader running (innermost last).
_READING: list[set[str]] = []
#: Results kept per remembered loader (most recent last) and per (root, files' hash,
#: documents added by a scenario) at most.
MEMO_SIZE = 16


def _note(rel: str) -> None:
    if _READING:
        _READING[-1].add(rel)


def _same(a: Any, b: Any) -> bool:
    """Whether two loader arguments are the same (the same object, or equal plain values)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # values without a plain equality (arrays...)
        return False


def remembered(fn):
    """Keep a loader's results by the content of what it read (see the module docstring).

    ``fn(tree, *args, **kwargs)`` must depend on nothing but its arguments and the tree's
    files and documents (read through :meth:`ParamTree.yaml`, :meth:`~ParamTree.csv`,
    :meth:`~ParamTree.parquet`; the files on disk and the documents a scenario adds are in
    the key). Its callers cannot change the result (it is given again):
    :func:`simlib.params.readonly.freeze` makes it read-only before it is kept, and also
    with the memo off, so a caller changing a result fails whichever is set. A call
    raising an error keeps nothing. ``SIMLIB_PARAMS_MEMO=0`` turns the memo off.
    """
    kept: dict[tuple, list] = {}

    @functools.wraps(fn)
    def wrapper(tree: ParamTree, *args, **kwargs):
        if os.environ.get("SIMLIB_PARAMS_MEMO", "1") == "0":
            return freeze(fn(tree, *args, **kwargs))  # read-only either way
        added = tuple(sorted(r for r in tree.overrides if r not in tree.digests))
        bucket = kept.setdefault((str(tree.root), tree.base, added), [])
        for entry in reversed(bucket):
            e_args, e_kwargs, reads, result = entry
            if (
                len(e_args) == len(args)
                and e_kwargs.keys() == kwargs.keys()
                and all(_same(a, b) for a, b in zip(e_args, args, strict=True))
                and all(_same(e_kwargs[k], kwargs[k]) for k in kwargs)
                and all(tree.held(r) == h for r, h in reads.items())
            ):
                if _READING:
                    _READING[-1].update(reads)
                return result
        seen: set[str] = set()
        _READING.append(seen)
        try:
            result = freeze(fn(tree, *args, **kwargs))
        finally:
            _READING.pop()
        if _READING:
            _READING[-1].update(seen)
        bucket.append((args, dict(kwargs), {r: tree.held(r) for r in seen}, result))
        if len(bucket) > MEMO_SIZE:
            bucket.pop(0)
        return result

    wrapper.forget = lambda: kept.clear()  # type: ignore[attr-defined]
    return wrapper


#: Values a parsed document shares with its copies: they cannot be changed in place.
_IMMUTABLE = (str, int, float, bool, type(None))


def _copy(doc: Any) -> Any:
    """A deep copy of a parsed document (dicts, lists and scalars; anything else deep-copied).

    The same result as :func:`copy.deepcopy`, several times faster on YAML documents (a
    sensitivity design loads its parameters once per point).
    """
    if type(doc) is dict or type(doc) is FrozenDict:  # a copy is the caller's own
        return {k: v if type(v) in _IMMUTABLE else _copy(v) for k, v in doc.items()}
    if type(doc) is list or type(doc) is FrozenList:
        return [v if type(v) in _IMMUTABLE else _copy(v) for v in doc]
    if type(doc) in _IMMUTABLE:
        return doc
    return copy.deepcopy(doc)


@lru_cache(maxsize=256)
def _parse(path: Path, digest: str, where: str) -> Any:
    data = read_bytes(path, where)
    if sha256(data) != digest:
        raise ParamError(f"{where}: changed while being read; try again")
    return parse_yaml(decode(data, where), where)


@lru_cache(maxsize=64)
def _csv(path: Path, digest: str, where: str, columns) -> Any:
    data = read_bytes(path, where, limit=4 * MAX_BYTES)
    if sha256(data) != digest:
        raise ParamError(f"{where}: changed while being read; try again")
    return read_csv(path, columns, where, data=data)


@lru_cache(maxsize=8)
def _parquet(path: Path, digest: str, where: str) -> Any:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_bytes(path, where)
    if sha256(data) != digest:
        raise ParamError(f"{where}: changed while being read; try again")
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as e:
        raise ParamError(f"{where}: not a readable Parquet file ({e})") from None
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _walk(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in NOT_PARAMS or p.name.startswith(".") or p.name == "README.md":
            continue
        if p.is_dir():
            continue
        yield p


def read_tree(params_dir: str | Path | None = None) -> ParamTree:
    """Read (hash) every parameter file of a params directory.

    Cheap to call often: a tree of ~40 small files hashes in a millisecond or two, and
    parsing is cached per content hash.

    Args:
        params_dir: The params directory (the bundled one by default).

    Returns:
        The :class:`ParamTree`.

    Raises:
        ParamError: If the directory is missing, a file is unreadable, or it holds too many
            files.
    """
    root = resolve_dir(params_dir)
    layers = [root]
    overlay = (root / OVERLAY).is_file()
    if overlay:
        _check_overlay(root / OVERLAY)
        base = resolve_dir(None)
        layers = [base, root] if base != root else [root]
    digests, files = {}, {}
    for layer in layers:
        for p in _walk(layer):
            rel = p.relative_to(layer).as_posix()
            if len(digests) >= MAX_FILES:
                raise ParamError(f"{root}: more than {MAX_FILES} files; is this a params tree?")
            limit = 4 * MAX_BYTES if p.suffix == ".csv" else MAX_BYTES
            digests[rel] = _file_digest(p, f"params/{rel}", limit)
            if layer != root:
                files[rel] = p
            else:
                files.pop(rel, None)  # the overlay's own file replaces the bundled one
    joined = "\n".join(f"{k} {v}" for k, v in sorted(digests.items()))
    return ParamTree(root, digests, sha256(joined.encode()), files=files, overlay=overlay)


#: File digests by path and stat (size, times, inode): a file whose stat is unchanged is not
#: read again. Kept only for files last changed at least :data:`SETTLED` seconds before they
#: were hashed, so that a file written twice within one tick of its clock is re-read.
_DIGESTS: dict[str, tuple[tuple, str]] = {}
SETTLED = 2.0


def _file_digest(p: Path, where: str, limit: int) -> str:
    """SHA-256 of a file's bytes (from :data:`_DIGESTS` when its stat is unchanged)."""
    import time

    try:
        st = p.stat()
    except OSError:
        return sha256(read_bytes(p, where, limit))  # raises, naming what is wrong
    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    hit = _DIGESTS.get(str(p))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    digest = sha256(read_bytes(p, where, limit))
    if time.time() - max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 >= SETTLED:
        _DIGESTS[str(p)] = (stamp, digest)
    return digest


def _check_overlay(path: Path) -> None:
    """An overlay file must say what it extends: ``overlay_of: bundled``."""
    from simlib.core.reader import read_yaml

    d = read_yaml(path, str(path))
    if not isinstance(d, dict) or set(d) != {"overlay_of"} or d["overlay_of"] not in OVERLAY_BASES:
        raise ParamError(
            f"{path}: expected the one key overlay_of with the value "
            f"{' or '.join(OVERLAY_BASES)} (this directory adds to simlib's bundled params); "
            f"got {d!r}"
        )


def city_keys(tree: ParamTree) -> tuple[str, ...]:
    """The cities of a tree, one per ``cities/<key>.yaml``, in alphabetical order."""
    return tuple(Path(p).stem for p in tree.paths("cities"))


def check_city(city: str, tree: ParamTree, what: str = "city") -> str:
    """``city`` if the tree has it (Chinese names accepted), else a ParamError."""
    cities = city_keys(tree)
    if not isinstance(city, str):
        raise ParamError(f"{what}: expected a city name, got {city!r}")
    if city in cities:
        return city
    aliases = city_aliases(tree)
    if city in aliases:
        return aliases[city]
    raise ParamError(
        f"unknown {what} {city!r}{did_you_mean(city, cities)}; available: {', '.join(cities)}"
    )


def city_aliases(tree: ParamTree) -> dict[str, str]:
    """Chinese (大同, 大同市) and English (Datong) names → city key."""
    out = {}
    for key in city_keys(tree):
        d = tree.yaml(f"cities/{key}.yaml")
        if isinstance(d, dict):
            for name in (d.get("name_zh"), d.get("name_en")):
                if isinstance(name, str):
                    out[name] = key
                    out[name.removesuffix("市")] = key
    return out
