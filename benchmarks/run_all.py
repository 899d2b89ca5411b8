"""Run every benchmark script side by side with its anchors and (optionally) write the tables into
README.md between the ``<!-- bench:start -->`` / ``<!-- bench:end -->`` markers.

    python benchmarks/run_all.py                 # print the tables
    python benchmarks/run_all.py --write-readme  # ... and regenerate the README table
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the scripts")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    sections = []
    for script in SCRIPTS:
        path = HERE / script
        if not path.exists():
            continue
        cmd = [sys.executable, str(path)] + (["--quick"] if args.quick else [])
        print(f"== {script}", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        print(proc.stdout[-4000:])
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"{script} failed")
        sections.append(tables_from(proc.stdout))
    text = "\n\n".join(s for s in sections if s)
    if args.write_readme:
        readme = HERE.parent / "README.md"
        content = readme.read_text()
        block = f"<!-- bench:start -->\n{text}\n<!-- bench:end -->"
        content, n = re.subn(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _: block, content, flags=re.S)
        if n != 1:
            raise SystemExit("README.md has no <!-- bench:start --> ... <!-- bench:end --> block")
        readme.write_text(content)
        print("README.md updated")


if __name__ == "__main__":
    main()
