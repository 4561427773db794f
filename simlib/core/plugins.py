"""Classes named by reference: ``module:Class`` or ``path/to/file.py:Class``.

Experimental processes (:mod:`simlib.population.processes`) and benefit kinds a params
directory brings (:mod:`simlib.params.kinds`) are named this way, so a worker process (a
sweep on ``processes`` or ``dask``) can import the same class from the reference alone.
Importing runs the named module's code, as importing any plugin does: name only files you
trust.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from simlib.core.errors import ParamError, did_you_mean

#: Classes loaded from a file, by their file reference (``/abs/path.py:Class``).
_FILE_REFS: dict[type, str] = {}


def load_class(ref: str, base: type, what: str, root: Path | None = None) -> type:
    """The class a reference names, checked to be a subclass of ``base``.

    Args:
        ref: ``module:Class`` (importable) or ``path/to/file.py:Class``.
        base: The class it must derive from.
        what: What it is, for messages (``process``, ``benefit kind``).
        root: The folder a relative file path is relative to (the working directory
            when None).

    Raises:
        ParamError: If the module or file cannot be imported, the class is missing, or it
            does not derive from ``base``.
    """
    if not isinstance(ref, str) or ":" not in ref or not ref.rpartition(":")[2]:
        raise ParamError(f"{what} {ref!r}: expected 'module:Class' or 'path/to/file.py:Class'")
    where, _, name = ref.rpartition(":")
    from_file = where.endswith(".py")
    if from_file:
        path = Path(where).expanduser()
        path = ((root / path) if root is not None and not path.is_absolute() else path).resolve()
        if not path.is_file():
            raise ParamError(f"{what} {ref!r}: no file {path}")
        module_name = f"simlib_plugin_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            # no __pycache__ beside the file: a params directory's hash covers its files
            write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
            try:
                spec.loader.exec_module(module)
            except Exception as err:
                del sys.modules[module_name]
                raise ParamError(f"{what} {ref!r}: importing {path} failed: {err}") from err
            finally:
                sys.dont_write_bytecode = write
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise ParamError(f"{what} {ref!r}: cannot import {where!r} ({err})") from None
    cls = getattr(module, name, None)
    if cls is None:
        found = [k for k, v in vars(module).items() if isinstance(v, type) and issubclass(v, base)]
        raise ParamError(f"{what} {ref!r}: no class {name!r} in {where}{did_you_mean(name, found)}")
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ParamError(f"{what} {ref!r}: {name} is not a subclass of {base.__qualname__}")
    if from_file:
        _FILE_REFS[cls] = f"{path}:{name}"
    return cls


def class_ref(cls: type, what: str) -> str:
    """The reference a worker process can load ``cls`` from (:func:`load_class`).

    Raises:
        ParamError: If ``cls`` is defined where no other process can import it (a notebook
            cell, ``__main__``, a function body).
    """
    if cls in _FILE_REFS:
        return _FILE_REFS[cls]
    module = cls.__module__
    if module == "__main__" or "<locals>" in cls.__qualname__:
        raise ParamError(
            f"{what} {cls.__qualname__}: defined in {module} where worker processes cannot "
            "import it; put it in a .py file and import it from there (or pass 'file.py:Class')"
        )
    return f"{module}:{cls.__qualname__}"


def source_digest(cls: type) -> str:
    """SHA-256 of the source file defining ``cls`` (of its source text if no file)."""
    try:
        return hashlib.sha256(Path(inspect.getsourcefile(cls)).read_bytes()).hexdigest()
    except (TypeError, OSError):
        return hashlib.sha256(inspect.getsource(cls).encode()).hexdigest()
