#!/usr/bin/env python3
"""Turns a finished `neurocircuits report` folder into a results page for docs/results/.

Usage:
  tools/results/summarize.py REPORT_DIR DEST_DIR --command CMD --wall SECONDS --commit REV \
      [--note TEXT ...]

Writes DEST_DIR/README.md (the command, commit, machine, wall time, and one row per claim of
each paper: the claim, the paper's number where known, ours, the budget and the verdict) and
copies the report's figures and summary tables (SVG, CSV, JSON; not the per-unit folders, not
the GIF) beside it, so the page's figures render on GitHub. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path

# what is copied from the report folder: figures and summaries, never the per-unit runs
KEEP_SUFFIXES = {".svg", ".csv", ".json", ".html"}
SKIP_DIRS = {"units", "train"}


def verdict_words(v: dict) -> str:
    kind = v.get("verdict")
    if kind == "agrees":
        return "agrees"
    if kind == "disagrees":
        return "disagrees"
    why = v.get("why", "")
    needed = v.get("needed", "")
    return f"too small to judge: {why}; needs {needed}".strip()


def cell(text) -> str:
    if text is None:
        return "—"
    return str(text).replace("|", "\\|").replace("\n", " ")


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({model or 'unknown CPU'})"


def ncap_rows(report: Path) -> list[list[str]]:
    rows = []
    for exp in ["curves", "transfer", "ablations"]:
        f = report / "ncap" / exp / "claims.json"
        if not f.exists():
            continue
        for c in json.loads(f.read_text()):
            rows.append(
                [c["claim"], cell(c.get("paper")), cell(c["ours"]), cell(c["budget"]), verdict_words(c["verdict"])]
            )
    return rows


def richlazy_rows(report: Path, seeds: str) -> list[list[str]]:
    f = report / "richlazy" / "rank-sweep" / "claims.json"
    if not f.exists():
        return []
    rows = []
    for c in json.loads(f.read_text()):
        claim = f"{c['measure']} {c['direction']} with the initial rank (lazier at higher rank)"
        if c["direction"] == "falls":
            claim = f"{c['measure']} falls with the initial rank (less change at higher rank)"
        ours = "; ".join(t["sentence"] for t in c["tasks"])
        rows.append([claim, "—", cell(ours), seeds, verdict_words(c["verdict"])])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def csv_table(path: Path) -> str:
    with path.open() as f:
        rows = list(csv.reader(f))
    return table(rows[0], rows[1:]) if rows else ""


def figures(dest: Path) -> list[str]:
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*.svg"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--command", required=True)
    ap.add_argument("--wall", type=float, required=True, help="wall time of the whole run, seconds")
    ap.add_argument("--commit", required=True)
    ap.add_argument("--note", action="append", default=[], help="a line for the page (repeatable)")
    a = ap.parse_args()

    summary = json.loads((a.report / "summary.json").read_text())
    preset = summary["options"]["preset"]
    parts = ", ".join(f"{p['part']} {p['seconds'] / 60:.1f} min" for p in summary["parts"])
    failed = [p for p in summary["parts"] if p.get("error")]
    if failed:
        raise SystemExit(f"{a.report}: parts failed: {failed}")

    # build beside the destination, then rename into place
    a.dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=a.dest.parent, prefix=f".{a.dest.name}.", suffix=".tmp"))
    try:
        for src in a.report.rglob("*"):
            rel = src.relative_to(a.report)
            if src.is_dir() or SKIP_DIRS & set(rel.parts) or src.suffix not in KEEP_SUFFIXES:
                continue
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, stage / rel)

        budget_rl = "—"
        sweep = a.report / "richlazy" / "rank-sweep" / "sweep.json"
        if sweep.exists():
            cfg = json.loads(sweep.read_text())["config"]
            base = cfg["base"]
            budget_rl = (
                f"{len(cfg['seeds'])} seeds, ranks {cfg['ranks']}, N = {base['n']}, "
                f"{base['iters']} iterations of batch {base['batch']}"
            )

        lines = [
            f"# Evidence: `report --preset {preset}`",
            "",
            "Every verdict below comes from the rules in `nc_core::verdict` (NCAP: "
            "`nc_ncap::experiments::claims`; rich/lazy: `nc_richlazy::claims`). A verdict is "
            "*agrees* or *disagrees* only where the run could have shown either; otherwise it "
            "says the budget is too small to judge, and what budget would do.",
            "",
            f"- command: `{a.command}`",
            f"- commit: `{a.commit}`",
            f"- machine: {machine()}",
            f"- wall time: {a.wall / 60:.0f} min in all ({parts})",
        ]
        lines += [f"- note: {n}" for n in a.note]
        lines += [
            "",
            "The HTML report of this run is [index.html](index.html) (figures beside it; the "
            "per-run folders and the GIF are left out of the repository).",
            "",
            "## NCAP (Bhattasali, Zador and Engel, NeurIPS 2022)",
            "",
            table(["claim", "paper", "ours", "budget", "verdict"], ncap_rows(a.report)),
            "",
        ]
        eff = a.report / "ncap" / "curves" / "efficiency.csv"
        if eff.exists():
            lines += [
                "Efficiency (seed means; `steps_to_ncap_initial`: steps each model needs to reach "
                "NCAP's initial return; returns at 1e4, 1e5 and 1e6 steps where the budget reaches them):",
                "",
                csv_table(eff),
                "",
            ]
        rl = richlazy_rows(a.report, budget_rl)
        if rl:
            lines += [
                "## Rich and lazy learning (Liu et al., ICLR 2024)",
                "",
                table(["claim", "paper", "ours", "budget", "verdict"], rl),
                "",
            ]
        lines += ["## Figures", ""]
        lines += [f"- [{f}]({f})" for f in figures(stage)]
        lines.append("")
        (stage / "README.md").write_text("\n".join(lines))
        if a.dest.exists():
            shutil.rmtree(a.dest)
        stage.rename(a.dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


if __name__ == "__main__":
    main()
