"""Run every benchmark script side by side with its anchors and (optionally) write the tables into
README.md between the ``<!-- bench:start -->`` / ``<!-- bench:end -->`` markers.

    python benchmarks/run_all.py                 # print the tables
    python benchmarks/run_all.py --write-readme  # ... and regenerate the README table
    python benchmarks/run_all.py --x-python /tmp/venv-albx/bin/python --write-readme
    python benchmarks/run_all.py --only bench_optics.py bench_detection.py --x-python ... --write-readme

``--only``: run just the named scripts and replace just their sections of the README block (each script's
tables sit between ``<!-- bench:script NAME -->`` / ``<!-- bench:script-end NAME -->``); every other section,
and anything else in the block, is kept byte for byte. A section not in the block yet is appended to it.

``--x-python``: also run every script with that interpreter (a venv where ``import albumentations`` is
AlbumentationsX) and add its anchor columns to each table, row by row: the AlbumentationsX rate and
the ratio of invariant to it measured in that process (invariant's own column is this interpreter's).

``--tv-python``: run the scripts in ``TV_ARGS`` (bench_batched.py) again with that interpreter (a venv with
torchvision 0.29.1 beside torch 2.14.1, docs/benchmarks.md) and their torchvision arguments, and add the
"torchvision img/s" / "ratio vs torchvision" columns the same way, after "ratio vs kornia". Tables pair by
their title up to the first ": " (the torch versions of the two venvs differ); rows by (recipe, batch).
torchvision v2 draws one set of parameters per batch: the merged title says so.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).parent
SCRIPTS = ["bench_foundation.py", "bench_spatial.py", "bench_pixel.py", "bench_e2e.py"]
SCRIPTS += ["bench_robustness.py", "bench_optics.py", "bench_detection.py", "bench_multi_sample.py", "bench_detection_pipelines.py"]
SCRIPTS += ["bench_batched.py"]
NO_X = {"bench_batched.py"}  # anchored on kornia, not albumentations: not run again under --x-python
TV_ARGS = {"bench_batched.py": ["--anchor", "torchvision"]}  # run again under --tv-python with these arguments
QUICK_NOTE = "_Written with `--quick`: fewer and shorter timed passes per library than a full run._"


def tables_from(output: str) -> str:
    """Keep the markdown tables a script printed, each under its title (the line printed just before it)."""
    keep: list[str] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            continue
        if i == 0 or not lines[i - 1].startswith("|"):  # a table starts: find its title above
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            title = lines[j].strip() if j >= 0 and not lines[j].startswith("|") else ""
            if title and not title.startswith("**"):
                title = f"**{title}**"
            keep += ["", title, ""] if title else [""]
        keep.append(line)
    return "\n".join(keep).strip()


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _stem(title: str) -> str:
    """A table title up to its first ": " (what ``--tv-python`` pairs tables by)."""
    return title.split(": ", 1)[0]


def _join_titles(base: str, extra: str, key: Callable[[str], str]) -> str:
    """``base``'s title, followed by what ``extra``'s adds after the part they share (nothing when equal)."""
    if extra == base:
        return base
    rest = extra[len(key(extra)) :].lstrip(": ").strip("*").strip()
    return f"{base.rstrip('*').rstrip('.')}. {rest}**" if base.endswith("**") else f"{base}. {rest}"


def merge_tables(base: str, extra: str, *, label: str = "AlbumentationsX venv", key: Callable[[str], str] = lambda t: t, after: str | None = None) -> str:
    """Add the anchor columns of ``extra`` (the same scripts run in another venv: AlbumentationsX, or
    torchvision) to ``base``'s tables: tables pair by ``key(title)`` (the whole title by default; the
    merged title adds what ``extra``'s says beyond the shared part); rows by the cells before the
    "invariant img/s" column (the first cell, or (recipe, batch)); ``extra``'s invariant column is
    dropped (its ratio stays: measured in its own process). The two columns go after the base column
    named ``after`` (at the end when None or absent). Tables of another shape are appended under their
    title, marked with ``label``."""

    def split(text: str) -> list[tuple[str, list[str]]]:
        tables: list[tuple[str, list[str]]] = []
        title = ""
        for line in text.splitlines():
            if line.startswith("|"):
                if not tables or tables[-1][0] != title or not tables[-1][1]:
                    tables.append((title, []))
                tables[-1][1].append(line)
            elif line.strip():
                title = line.strip()
                tables.append((title, []))
        return [(t, rows) for t, rows in tables if rows]

    inv = "invariant img/s"
    others = {key(t): (t, rows) for t, rows in split(extra)}
    out: list[str] = []
    used = set()
    for title, rows in split(base):
        head = _cells(rows[0])
        other_title, mine = others.get(key(title), (title, None))
        mine_head = _cells(mine[0]) if mine is not None else []
        if mine is not None and inv in head and inv in mine_head and len(head) >= head.index(inv) + 3 and head.index(inv) == mine_head.index(inv):
            used.add(key(title))
            i = head.index(inv)
            at = head.index(after) + 1 if after in head else len(head)
            extra_head = mine_head[i + 1 : i + 3]
            by_row = {tuple(_cells(r)[:i]): _cells(r)[i + 1 : i + 3] for r in mine[2:]}
            merged = ["| " + " | ".join(head[:at] + extra_head + head[at:]) + " |", "|" + "---|" * (len(head) + 2)]
            for r in rows[2:]:
                cells = _cells(r)
                added = by_row.get(tuple(cells[:i]), ["-", "-"])
                merged.append("| " + " | ".join(cells[:at] + added + cells[at:]) + " |")
            rows = merged
            title = _join_titles(title, other_title, key)
        out += ["", title, ""] + rows if title else [""] + rows
    for title, rows in split(extra):
        if key(title) not in used:
            out += ["", f"{title} ({label})" if title else f"({label})", ""] + rows
    return "\n".join(out).strip()


def section(script: str, tables: str) -> str:
    """One script's tables between its own markers (what ``--only`` replaces)."""
    return f"<!-- bench:script {script} -->\n\n{tables}\n\n<!-- bench:script-end {script} -->"  # blank lines: markdown ends the table


def replace_sections(block: str, sections: dict[str, str]) -> str:
    """``block`` (the text between the README's bench markers) with the section of each script in ``sections``
    replaced by its new tables (appended when the block has none); everything else stays as it was."""
    for script, tables in sections.items():
        new = section(script, tables)
        pattern = re.compile(rf"<!-- bench:script {re.escape(script)} -->.*?<!-- bench:script-end {re.escape(script)} -->", re.S)
        found = pattern.findall(block)
        if len(found) > 1:
            raise SystemExit(f"README.md's bench block has {len(found)} sections for {script}: keep one")
        if found:
            block = pattern.sub(lambda _: new, block)
        else:
            block = f"{block.rstrip()}\n\n{new}" if block.strip() else new
    return block


def update_readme(readme: Path, sections: dict[str, str], keep_others: bool) -> None:
    """Write ``sections`` into the README's bench block: with ``keep_others`` (``--only``) only their own
    sections change; without, the block becomes exactly these sections."""
    content = readme.read_text()
    match = re.search(r"<!-- bench:start -->\n?(.*?)\n?<!-- bench:end -->", content, flags=re.S)
    if match is None or content.count("<!-- bench:start -->") != 1:
        raise SystemExit(f"{readme.name} has no single <!-- bench:start --> ... <!-- bench:end --> block")
    body = replace_sections(match.group(1) if keep_others else "", sections)
    readme.write_text(content[: match.start()] + f"<!-- bench:start -->\n{body}\n<!-- bench:end -->" + content[match.end() :])


def run_scripts(python: str, quick: bool, env: dict[str, str], scripts: list[str] | None = None, extra_args: dict[str, list[str]] | None = None) -> dict[str, str]:
    """{script: its tables} for each script that exists, run with ``python`` (and ``extra_args[script]``)."""
    sections: dict[str, str] = {}
    for script in scripts or SCRIPTS:
        path = HERE / script
        if not path.exists():
            continue
        cmd = [python, str(path)] + (["--quick"] if quick else []) + (extra_args or {}).get(script, [])
        print(f"== {script} ({python})", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        print(proc.stdout[-4000:])
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"{script} failed")
        sections[script] = tables_from(proc.stdout)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the scripts")
    parser.add_argument("--x-python", default=None, help="interpreter of a venv with AlbumentationsX: adds its columns")
    parser.add_argument("--tv-python", default=None, help="interpreter of a venv with torchvision 0.29.1: adds its columns to bench_batched.py")
    parser.add_argument("--only", nargs="+", default=None, metavar="SCRIPT", help="run just these scripts; replace just their README sections")
    args = parser.parse_args()
    if args.only:
        unknown = [s for s in args.only if s not in SCRIPTS]
        if unknown:
            parser.error(f"--only: {', '.join(unknown)} not in SCRIPTS ({', '.join(SCRIPTS)})")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", ALBUMENTATIONS_NO_TELEMETRY="1", NO_ALBUMENTATIONS_UPDATE="1")
    sections = run_scripts(sys.executable, args.quick, env, args.only)
    if args.x_python:
        extra = run_scripts(args.x_python, args.quick, env, [s for s in (args.only or SCRIPTS) if s not in NO_X])
        sections = {script: merge_tables(tables, extra.get(script, "")) for script, tables in sections.items()}
    if args.tv_python:
        tv_scripts = [s for s in (args.only or SCRIPTS) if s in TV_ARGS]
        tv = run_scripts(args.tv_python, args.quick, env, tv_scripts, TV_ARGS)
        sections = {script: merge_tables(tables, tv[script], label="torchvision venv", key=_stem, after="ratio vs kornia") if script in tv else tables for script, tables in sections.items()}
    sections = {script: tables for script, tables in sections.items() if tables}
    if args.quick:
        sections = {script: f"{tables}\n\n{QUICK_NOTE}" for script, tables in sections.items()}
    if args.write_readme:
        update_readme(HERE.parent / "README.md", sections, keep_others=bool(args.only))
        print("README.md updated")
    else:
        print("\n\n".join(sections.values()))


if __name__ == "__main__":
    main()
