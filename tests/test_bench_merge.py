"""benchmarks/run_all.py merges the AlbumentationsX venv's anchor columns into the main run's tables row by row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


BASE = """**Pixel transforms, 1 thread**

| transform | invariant img/s | albumentations img/s | ratio vs albumentations |
|---|---|---|---|
| Equalize | 100 | 80 | 1.25x |
| Invert | 500 | 400 | 1.25x |

**Loader**

| loader | workers | images/s | ratio vs albumentations |
|---|---|---|---|
| invariant | 0 | 10.0 | 1.50x |"""

EXTRA = """**Pixel transforms, 1 thread**

| transform | invariant img/s | AlbumentationsX 2.5.1 img/s | ratio vs AlbumentationsX 2.5.1 |
|---|---|---|---|
| Invert | 450 | 300 | 1.50x |
| Equalize | 90 | 100 | 0.90x |

**Loader**

| loader | workers | images/s | ratio vs AlbumentationsX 2.5.1 |
|---|---|---|---|
| invariant | 0 | 9.0 | 1.10x |"""


def test_merge_adds_the_x_columns_by_row_name_and_appends_other_tables() -> None:
    merged = _run_all().merge_tables(BASE, EXTRA).splitlines()
    assert "| transform | invariant img/s | albumentations img/s | ratio vs albumentations | AlbumentationsX 2.5.1 img/s | ratio vs AlbumentationsX 2.5.1 |" in merged
    assert "| Equalize | 100 | 80 | 1.25x | 100 | 0.90x |" in merged  # matched by name, not by position
    assert "| Invert | 500 | 400 | 1.25x | 300 | 1.50x |" in merged
    assert "**Loader** (AlbumentationsX venv)" in merged  # another shape: its own table, under its title
    assert merged.count("| invariant | 0 | 9.0 | 1.10x |") == 1 and merged.count("| invariant | 0 | 10.0 | 1.50x |") == 1


def test_rows_missing_from_the_x_run_get_dashes() -> None:
    extra = EXTRA.replace("| Equalize | 90 | 100 | 0.90x |\n", "")
    merged = _run_all().merge_tables(BASE, extra).splitlines()
    assert "| Equalize | 100 | 80 | 1.25x | - | - |" in merged


# --only: a run of some scripts replaces just their README sections

LEGACY = "**Old table from before per-script sections**\n\n| transform | invariant img/s |\n|---|---|\n| Flip | 1 |"


def _readme(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# title\n\nintro\n\n<!-- bench:start -->\n{body}\n<!-- bench:end -->\n\n## after\n\ntext\n")
    return path


def test_only_replaces_its_own_sections_and_keeps_every_other_byte(tmp_path: Path) -> None:
    ra = _run_all()
    body = "\n\n".join([LEGACY, ra.section("bench_pixel.py", BASE), ra.section("bench_optics.py", "**Optics**\n\n| a | 1 |"), ra.section("bench_e2e.py", "**E2E**\n\n| b | 2 |")])
    readme = _readme(tmp_path, body)
    before = readme.read_text()
    ra.update_readme(readme, {"bench_optics.py": "**Optics**\n\n| a | 9 |"}, keep_others=True)
    after = readme.read_text()
    assert after == before.replace("| a | 1 |", "| a | 9 |")  # exactly one line changed: nothing else dropped or moved
    assert after.count("<!-- bench:script bench_optics.py -->") == 1


def test_only_appends_a_section_the_block_lacks_after_everything_kept(tmp_path: Path) -> None:
    ra = _run_all()
    readme = _readme(tmp_path, f"{LEGACY}\n\n{ra.section('bench_pixel.py', BASE)}")
    ra.update_readme(readme, {"bench_detection.py": "**Detection**\n\n| c | 3 |", "bench_multi_sample.py": "**Mosaic**\n\n| d | 4 |"}, keep_others=True)
    text = readme.read_text()
    block = text.split("<!-- bench:start -->\n")[1].split("\n<!-- bench:end -->")[0]
    assert block.startswith(f"{LEGACY}\n\n{ra.section('bench_pixel.py', BASE)}")  # old content first, unchanged
    assert block.index("bench:script bench_detection.py") < block.index("bench:script bench_multi_sample.py")
    assert "| c | 3 |" in block and "| d | 4 |" in block
    assert text.startswith("# title\n\nintro\n\n") and text.endswith("## after\n\ntext\n")
    again = text
    ra.update_readme(readme, {"bench_detection.py": "**Detection**\n\n| c | 3 |"}, keep_others=True)
    assert readme.read_text() == again  # re-running with the same tables changes nothing


def test_a_full_run_rewrites_the_block_and_duplicate_sections_are_refused(tmp_path: Path) -> None:
    import pytest

    ra = _run_all()
    readme = _readme(tmp_path, f"{LEGACY}\n\n{ra.section('bench_pixel.py', BASE)}")
    ra.update_readme(readme, {"bench_pixel.py": EXTRA}, keep_others=False)
    text = readme.read_text()
    assert LEGACY not in text and BASE not in text and ra.section("bench_pixel.py", EXTRA) in text
    twice = _readme(tmp_path, "\n\n".join([ra.section("bench_pixel.py", BASE)] * 2))
    with pytest.raises(SystemExit, match="2 sections for bench_pixel.py"):
        ra.update_readme(twice, {"bench_pixel.py": EXTRA}, keep_others=True)


def test_only_names_must_be_registered_scripts() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only", "bench_nope.py"], capture_output=True, text=True)
    assert proc.returncode == 2 and "bench_nope.py not in SCRIPTS" in proc.stderr


def test_the_new_scripts_are_registered() -> None:
    scripts = _run_all().SCRIPTS
    for name in ("bench_robustness.py", "bench_optics.py", "bench_detection.py", "bench_multi_sample.py"):
        assert name in scripts and (ROOT / "benchmarks" / name).exists()


# every anchor keyword is one its constructor declares (AlbumentationsX ignores unknown ones silently)

X_PYTHON = Path("/tmp/venv-albx/bin/python")


def _check_keywords(python: str) -> "subprocess.CompletedProcess[str]":
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), ALBUMENTATIONS_NO_TELEMETRY="1", NO_ALBUMENTATIONS_UPDATE="1")
    return subprocess.run([python, str(ROOT / "benchmarks" / "check_anchor_keywords.py")], capture_output=True, text=True, env=env)


def test_every_albumentations_2_0_8_anchor_keyword_is_declared() -> None:
    import sys

    proc = _check_keywords(sys.executable)
    assert proc.returncode == 0 and "every anchor keyword is declared" in proc.stdout, proc.stdout + proc.stderr[-2000:]


def test_every_albumentationsx_anchor_keyword_is_declared() -> None:
    import pytest

    if not X_PYTHON.exists():
        pytest.skip(f"no AlbumentationsX venv at {X_PYTHON} (docs/benchmarks.md sets it up)")
    proc = _check_keywords(str(X_PYTHON))
    assert proc.returncode == 0 and "AlbumentationsX" in proc.stdout, proc.stdout + proc.stderr[-2000:]


def test_a_quick_run_says_so_under_its_tables(tmp_path: Path, monkeypatch) -> None:
    import sys

    ra = _run_all()
    readme = _readme(tmp_path, ra.section("bench_pixel.py", BASE))
    monkeypatch.setattr(ra, "HERE", tmp_path / "benchmarks")
    monkeypatch.setattr(ra, "run_scripts", lambda python, quick, env, scripts=None: {"bench_optics.py": "**Optics**\n\n| a | 1 |"})
    monkeypatch.setattr(sys, "argv", ["run_all.py", "--quick", "--only", "bench_optics.py", "--write-readme"])
    ra.main()
    text = readme.read_text()
    assert ra.section("bench_pixel.py", BASE) in text  # the other section is kept
    assert ra.section("bench_optics.py", f"**Optics**\n\n| a | 1 |\n\n{ra.QUICK_NOTE}") in text
