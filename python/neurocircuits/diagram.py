"""Neural circuit diagrams: circuits written in the ``.ncd`` language (or taken from the
zoo), checked, costed, run and drawn by the toolkit.

>>> from neurocircuits import diagram
>>> c = diagram.zoo("mlp")
>>> c.cost()["params"]          # the number `neurocircuits diagram cost zoo:mlp --json` gives
669706

Errors of the language (parse or check) raise :class:`neurocircuits.CircuitError`, whose
message is the CLI's ``file:line:col: message``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _native

__all__ = ["Circuit", "Diagnostic", "load", "zoo", "zoo_names"]


class Diagnostic(NamedTuple):
    """One finding of the checker."""

    code: str
    """Rule code, e.g. ``"W001"`` (``E...`` errors stop a run)."""
    severity: str
    """``"error"`` or ``"warning"``."""
    message: str
    """What is wrong, naming operation, axis and sizes."""
    help: Optional[str]
    """How to fix it, when the rule knows."""
    location: Optional[str]
    """The operation concerned (None for the whole circuit)."""


def _sizes(sizes: dict[str, Any]) -> dict[str, int]:
    out = {}
    for k, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"size {k} must be an integer, got {v!r}")
        out[k] = int(v)
    return out


def _arrays(d: Optional[dict[str, Any]], what: str) -> Optional[dict[str, np.ndarray]]:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a dict of name -> array, got {type(d).__name__}")
    return {str(k): np.ascontiguousarray(v, dtype=np.float64) for k, v in d.items()}


class Circuit:
    """A checked, typed circuit (see :func:`load` and :func:`zoo`)."""

    def __init__(self, core: Any) -> None:
        self._core = core

    @property
    def name(self) -> str:
        """The circuit's name."""
        return self._core.name

    @property
    def sizes(self) -> dict[str, Optional[int]]:
        """Size symbols and their defaults; override them as keywords, e.g. ``cost(k=16)``."""
        return dict(self._core.sizes)

    @property
    def inputs(self) -> list[tuple[str, list[str]]]:
        """``(name, axes)`` of each input; :meth:`run` takes arrays with axes in this order."""
        return self._core.inputs

    @property
    def outputs(self) -> list[tuple[str, list[str]]]:
        """``(name, axes)`` of each output."""
        return self._core.outputs

    def check(self, **sizes: int) -> list[Diagnostic]:
        """The checker's findings under the given sizes (empty when all is well)."""
        return [Diagnostic(*d) for d in self._core.check(_sizes(sizes))]

    def cost(self, bytes: int = 4, **sizes: int) -> dict[str, Any]:
        """The cost report: ``params``, ``flops_forward``, ``flops_backward``, ``ops_*``,
        ``memory``, ``formulas``, ``blocks``, ``nodes`` - the numbers of
        ``neurocircuits diagram cost SOURCE --bind k=v,... --json``. ``bytes`` per element."""
        return self._core.cost(_sizes(sizes), int(bytes))

    def params(self, seed: int = 0, **sizes: int) -> dict[str, np.ndarray]:
        """The parameters as initialised from ``seed``: name -> array."""
        return self._core.params(int(seed), _sizes(sizes))

    def run(
        self,
        inputs: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
        seed: int = 0,
        **sizes: int,
    ) -> dict[str, np.ndarray]:
        """Runs the circuit forward (float64). ``inputs``: name -> array with the axes of
        :attr:`inputs` (None: seeded random inputs, as ``diagram run`` draws them);
        ``params``: name -> array for any parameters you set, the rest initialised from
        ``seed``. Returns output name -> array."""
        return self._core.run(
            _arrays(inputs, "inputs"), _arrays(params, "params"), int(seed), _sizes(sizes)
        )

    def svg(self, expand: Sequence[str] = (), depth: Optional[int] = None, cost: bool = False) -> str:
        """The drawing as SVG text."""
        return self._core.svg(list(expand), depth, bool(cost))

    def draw(
        self,
        path: Union[str, "os.PathLike[str]"],
        format: Optional[str] = None,
        expand: Sequence[str] = (),
        depth: Optional[int] = None,
        cost: bool = False,
    ) -> Path:
        """Writes the drawing to ``path`` (atomically) and returns the path. ``format``:
        ``"svg"`` or ``"tikz"`` (default: from the suffix; ``.tex`` or ``.tikz`` give a
        standalone TikZ document, as the CLI writes). ``expand``: blocks drawn open;
        ``depth``: open blocks to this depth; ``cost``: FLOPs and memory under each box."""
        path = Path(path)
        fmt = format or ("tikz" if path.suffix.lower() in (".tex", ".tikz") else "svg")
        if fmt == "svg":
            text = self._core.svg(list(expand), depth, bool(cost))
        elif fmt == "tikz":
            text = self._core.tikz(list(expand), depth, bool(cost))
        else:
            raise ValueError(f"format must be 'svg' or 'tikz', got {format!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _repr_svg_(self) -> str:
        """Jupyter shows the drawing inline."""
        return self.svg()

    def to_text(self) -> str:
        """The circuit in the ``.ncd`` text format (:func:`load` reads it back)."""
        return self._core.to_text()

    def __repr__(self) -> str:
        return repr(self._core)


def load(path_or_text: Union[str, "os.PathLike[str]"]) -> Circuit:
    """A circuit from a ``.ncd`` (or JSON) file, or from the text itself.

    A path object, or a one-line string naming an existing file, is read as a file; any other
    string is parsed as circuit text. Errors raise :class:`neurocircuits.CircuitError` with
    the CLI's ``file:line:col: message``."""
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and "\n" not in path_or_text and Path(path_or_text).is_file()
    ):
        path = os.fspath(path_or_text)
        text = Path(path).read_text(encoding="utf-8")
        return Circuit(_native.Circuit.parse(text, path))
    if not isinstance(path_or_text, str):
        raise ValueError(f"load takes a path or circuit text, got {type(path_or_text).__name__}")
    return Circuit(_native.Circuit.parse(path_or_text, "<string>"))


def zoo(name: str) -> Circuit:
    """A model of the zoo (``mlp``, ``mha``, ``transformer``, ``resnet``, ... see
    :func:`zoo_names`)."""
    return Circuit(_native.Circuit.zoo(name))


def zoo_names() -> dict[str, str]:
    """The zoo: name -> description."""
    return dict(_native.Circuit.zoo_models())
