"""Shared helpers of the Python test suite."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def releases_gil(call, wait: float = 0.01) -> bool:
    """True when the main thread ran Python code while ``call`` was running in another thread.

    ``call`` must take well over ``wait`` seconds. Holding the GIL for the whole call would
    keep this thread from waking from its sleep until the call returned.
    """
    started, span = threading.Event(), {}

    def worker():
        started.set()
        span["start"] = time.perf_counter()
        call()
        span["end"] = time.perf_counter()

    t = threading.Thread(target=worker)
    t.start()
    started.wait()
    time.sleep(wait)
    stamp = time.perf_counter()
    t.join()
    return span["start"] < stamp < span["end"]


@pytest.fixture(scope="session")
def cli() -> Path:
    """The built command-line binary: $NEUROCIRCUITS_CLI, or target/release/neurocircuits.

    Built with `cargo build --release -p neurocircuits` when absent (tools/test builds it first).
    """
    path = os.environ.get("NEUROCIRCUITS_CLI")
    exe = Path(path) if path else REPO / "target" / "release" / "neurocircuits"
    if not exe.exists():
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "neurocircuits"], cwd=REPO, check=True
        )
    return exe


def run_cli(exe: Path, *args: str) -> str:
    """Runs the CLI and returns its standard output; a failure shows its standard error."""
    p = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, f"{exe} {' '.join(args)} failed:\n{p.stderr}"
    return p.stdout
