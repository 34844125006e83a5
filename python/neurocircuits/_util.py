"""Argument checks and the progress bar shared by the submodules."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def count(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as an int of at least ``minimum``; anything else raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


class Bar:
    """A progress bar: tqdm's (notebook-aware) when installed, else one line on stderr.

    Call it with ``(done, total)`` and an optional note; close it at the end."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self.desc, self.unit, self._tqdm = desc, unit, None
        try:
            from tqdm.auto import tqdm

            self._tqdm = tqdm(total=total, desc=desc, unit=unit)
        except ImportError:
            pass

    def __call__(self, done: int, total: int, note: str = "") -> None:
        if self._tqdm is not None:
            self._tqdm.total = total
            self._tqdm.n = done
            if note:
                self._tqdm.set_postfix_str(note, refresh=False)
            self._tqdm.refresh()
            return
        bar = "#" * int(30 * done / max(total, 1))
        sys.stderr.write(f"\r{self.desc} [{bar:<30}] {done}/{total} {self.unit}s {note}")
        sys.stderr.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            sys.stderr.write("\n")
