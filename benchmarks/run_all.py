"""Run every benchmark script side by side with its anchors and (optionally) write the tables into
README.md between the ``<!-- bench:start -->`` / ``<!-- bench:end -->`` markers.

    python benchmarks/run_all.py                 # print the tables
    python benchmarks/run_all.py --write-readme  # ... and regenerate the README table
    python benchmarks/run_all.py --x-python /tmp/venv-albx/bin/python --write-readme
    python benchmarks/run_all.py --only bench_detection_pipelines.py --x-python ... --write-readme

``--only``: run just the named scripts; with ``--write-readme`` their tables replace the README tables of the
same title (new titles are appended) and every other table stays as it was.

``--x-python``: also run every script with that interpreter (a venv where ``import albumentations`` is
AlbumentationsX) and add its anchor columns to each table, row by row: the AlbumentationsX rate and
the ratio of invariant to it measured in that process (invariant's own column is this interpreter's).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = ["bench_foundation.py", "bench_spatial.py", "bench_pixel.py", "bench_e2e.py"]
SCRIPTS.append("bench_detection_pipelines.py")


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


def merge_tables(base: str, extra: str) -> str:
    """Add the anchor columns of ``extra`` (the same scripts run in the AlbumentationsX venv) to ``base``'s
    tables: tables pair up by title; rows by their first cell; ``extra``'s invariant column is dropped (its
    ratio stays: measured in its own process). Tables of another shape are appended under their title."""

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

    others = {t: rows for t, rows in split(extra)}
    out: list[str] = []
    used = set()
    for title, rows in split(base):
        head = _cells(rows[0])
        mine = others.get(title)
        if mine is not None and len(head) >= 4 and head[1] == "invariant img/s" and _cells(mine[0])[1] == "invariant img/s":
            used.add(title)
            extra_head = _cells(mine[0])[2:4]
            by_name = {_cells(r)[0]: _cells(r)[2:4] for r in mine[2:]}
            merged = ["| " + " | ".join(head + extra_head) + " |", "|" + "---|" * (len(head) + 2)]
            for r in rows[2:]:
                cells = _cells(r)
                merged.append("| " + " | ".join(cells + by_name.get(cells[0], ["-", "-"])) + " |")
            rows = merged
        out += ["", title, ""] + rows if title else [""] + rows
    for title, rows in split(extra):
        if title not in used:
            out += ["", f"{title} (AlbumentationsX venv)" if title else "(AlbumentationsX venv)", ""] + rows
    return "\n".join(out).strip()


def _titled_tables(text: str) -> list[tuple[str, list[str]]]:
    """(title, lines) of each table in a README block (a title is the non-table line above a table)."""
    tables: list[tuple[str, list[str]]] = []
    title = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not tables or tables[-1][0] != title or tables[-1][1] and not tables[-1][1][-1].startswith("|"):
                tables.append((title, []))
            tables[-1][1].append(line)
        elif line.strip():
            title = line.strip()
    return tables


def replace_tables(old: str, new: str) -> str:
    """``old`` (the README block) with each table of ``new`` put in place of the table of the same title,
    or appended when ``old`` has none."""
    fresh = dict(_titled_tables(new))
    out: list[str] = []
    seen = set()
    for title, rows in _titled_tables(old):
        seen.add(title)
        out += ["", title, ""] + fresh.get(title, rows) if title else [""] + rows
    for title, rows in _titled_tables(new):
        if title not in seen:
            out += ["", title, ""] + rows
    return "\n".join(out).strip()


def run_scripts(python: str, quick: bool, env: dict[str, str], only: list[str] | None = None) -> str:
    sections = []
    for script in only or SCRIPTS:
        path = HERE / script
        if not path.exists():
            continue
        cmd = [python, str(path)] + (["--quick"] if quick else [])
        print(f"== {script} ({python})", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        print(proc.stdout[-4000:])
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"{script} failed")
        sections.append(tables_from(proc.stdout))
    return "\n\n".join(s for s in sections if s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the scripts")
    parser.add_argument("--x-python", default=None, help="interpreter of a venv with AlbumentationsX: adds its columns")
    parser.add_argument("--only", nargs="+", default=None, help="run just these scripts; --write-readme then replaces only their tables")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", ALBUMENTATIONS_NO_TELEMETRY="1", NO_ALBUMENTATIONS_UPDATE="1")
    text = run_scripts(sys.executable, args.quick, env, args.only)
    if args.x_python:
        text = merge_tables(text, run_scripts(args.x_python, args.quick, env, args.only))
    if args.write_readme:
        readme = HERE.parent / "README.md"
        content = readme.read_text()
        if args.only:
            found = re.search(r"<!-- bench:start -->\n?(.*?)\n?<!-- bench:end -->", content, flags=re.S)
            text = replace_tables(found.group(1) if found else "", text)
        block = f"<!-- bench:start -->\n{text}\n<!-- bench:end -->"
        content, n = re.subn(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _: block, content, flags=re.S)
        if n != 1:
            raise SystemExit("README.md has no <!-- bench:start --> ... <!-- bench:end --> block")
        readme.write_text(content)
        print("README.md updated")


if __name__ == "__main__":
    main()
