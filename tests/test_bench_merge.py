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


# --tv-python: bench_batched.py run again in a torchvision venv; its columns join the kornia table by (recipe, batch)

BATCHED = """**Batched execution (`pipe.batched()`) on CPU tensors, 1 thread: torch 2.13.0, 256x256 uint8 batches -> 224x224, vs kornia 0.9.0 AugmentationSequential (float input; its x.float() / 255 timed)**

| recipe | batch | invariant img/s | kornia img/s | ratio vs kornia | sampling share | sampling us/img (batch / per sample) | numpy per-sample img/s |
|---|---|---|---|---|---|---|---|
| HorizontalFlip | 64 | 3000 | 1000 | 3.00x | 5% | 1.0 / 9.0 | 900 |
| HorizontalFlip | 256 | 3200 | 1100 | 2.91x | 4% | 0.9 / 9.0 | - |
| AugMix | 64 | 60 | - | - | 2% | 3.0 / 30.0 | 50 |

**Batched execution on a GPU**

| recipe | batch | invariant img/s | kornia img/s | ratio vs kornia |
|---|---|---|---|---|
| all of the above | 64, 256 | not measured | - | - |"""

BATCHED_TV = """**Batched execution (`pipe.batched()`) on CPU tensors, 1 thread: torchvision 0.29.1 transforms.v2 on uint8 tensors, torch 2.14.1. torchvision v2 draws ONE set of parameters per call**

| recipe | batch | invariant img/s | torchvision img/s | ratio vs torchvision |
|---|---|---|---|---|
| HorizontalFlip | 256 | 3100 | 20000 | 0.16x |
| AugMix | 64 | 62 | 70 | 0.89x |
| HorizontalFlip | 64 | 2900 | 19000 | 0.15x |"""


def _merge_tv(base: str, extra: str) -> list[str]:
    ra = _run_all()
    return ra.merge_tables(base, extra, label="torchvision venv", key=ra._stem, after="ratio vs kornia").splitlines()


def test_tv_columns_join_by_recipe_and_batch_after_the_kornia_ratio() -> None:
    merged = _merge_tv(BATCHED, BATCHED_TV)
    head = "| recipe | batch | invariant img/s | kornia img/s | ratio vs kornia | torchvision img/s | ratio vs torchvision | sampling share | sampling us/img (batch / per sample) | numpy per-sample img/s |"
    assert head in merged and merged[merged.index(head) + 1] == "|" + "---|" * 10
    # the same recipe at two batch sizes: each row gets its own batch's numbers (rows are listed in another order there)
    assert "| HorizontalFlip | 64 | 3000 | 1000 | 3.00x | 19000 | 0.15x | 5% | 1.0 / 9.0 | 900 |" in merged
    assert "| HorizontalFlip | 256 | 3200 | 1100 | 2.91x | 20000 | 0.16x | 4% | 0.9 / 9.0 | - |" in merged
    assert "| AugMix | 64 | 60 | - | - | 70 | 0.89x | 2% | 3.0 / 30.0 | 50 |" in merged
    assert "| invariant | 0 | 9.0 | 1.10x |" not in merged and not any("3100" in line for line in merged)  # its invariant column is dropped


def test_tv_title_keeps_the_main_title_and_adds_the_one_draw_per_batch_caveat() -> None:
    merged = _merge_tv(BATCHED, BATCHED_TV)
    title = merged[0]
    assert title.startswith("**Batched execution (`pipe.batched()`) on CPU tensors, 1 thread: torch 2.13.0,") and title.endswith("**")
    assert "kornia 0.9.0" in title and "torchvision 0.29.1 transforms.v2" in title and "ONE set of parameters per call" in title
    assert title.count("**") == 2 and title.count("Batched execution") == 1
    # the GPU placeholder has no torchvision counterpart: unchanged, and nothing is appended
    assert "| all of the above | 64, 256 | not measured | - | - |" in merged and not any("torchvision venv" in line for line in merged)


def test_tv_rows_missing_get_dashes_and_unpaired_tables_are_appended_under_their_label() -> None:
    tv = BATCHED_TV.replace("| AugMix | 64 | 62 | 70 | 0.89x |\n", "")
    merged = _merge_tv(BATCHED, tv)
    assert "| AugMix | 64 | 60 | - | - | - | - | 2% | 3.0 / 30.0 | 50 |" in merged
    on_gpu = BATCHED_TV.replace("on CPU tensors, 1 thread", "on GPU (NVIDIA H200)")
    merged = _merge_tv(BATCHED, on_gpu)
    assert "| HorizontalFlip | 64 | 3000 | 1000 | 3.00x | sampling share" not in merged
    assert any(line.startswith("**Batched execution (`pipe.batched()`) on GPU") and line.endswith("(torchvision venv)") for line in merged)


def test_tv_python_runs_only_the_scripts_with_torchvision_arguments(tmp_path: Path, monkeypatch) -> None:
    import sys

    ra = _run_all()
    calls: list[tuple[str, list[str], dict]] = []

    def fake_run(python, quick, env, scripts=None, extra_args=None):
        calls.append((python, list(scripts or []), extra_args or {}))
        if python == "/tv/python":
            return {"bench_batched.py": BATCHED_TV}
        return {"bench_batched.py": BATCHED, "bench_optics.py": "**Optics**\n\n| a | 1 |"}

    monkeypatch.setattr(ra, "run_scripts", fake_run)
    monkeypatch.setattr(sys, "argv", ["run_all.py", "--only", "bench_optics.py", "bench_batched.py", "--tv-python", "/tv/python"])
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
    ra.main()
    assert calls[1] == ("/tv/python", ["bench_batched.py"], {"bench_batched.py": ["--anchor", "torchvision"]})
    out = "\n".join(printed)
    assert "| HorizontalFlip | 64 | 3000 | 1000 | 3.00x | 19000 | 0.15x |" in out and "| a | 1 |" in out


# the torchvision recipes themselves, in the torchvision venv (docs/benchmarks.md sets it up)

TV_PYTHON = Path("/tmp/venv-tv/bin/python")

TV_CHECK = """
import sys, torch
sys.path.insert(0, sys.argv[1])
import numpy as np
import bench_batched as bb

x = torch.from_numpy(np.stack(bb.load_photos(size=(256, 256))[:4])).permute(0, 3, 1, 2).contiguous()
ours = bb.our_recipes()
tv = bb.torchvision_recipes()
assert list(tv) == list(ours), (list(tv), list(ours))
for name, pipe in tv.items():
    out = pipe(x)
    normalises = any(type(t).__name__ == "Normalize" for t in ours[name])
    assert tuple(out.shape) == (4, 3, 224, 224), (name, out.shape)
    assert out.dtype == (torch.float32 if normalises else torch.uint8), (name, out.dtype)
# the caveat the table states: one draw per call, shared by the batch (each call flips all images or none)
torch.manual_seed(0)
flip = tv["HorizontalFlip"].transforms[0]
seen = set()
for _ in range(40):
    out = flip(x)
    flipped = [bool(torch.equal(out[i], x[i].flip(-1))) for i in range(4)]
    assert len(set(flipped)) == 1, flipped
    seen.add(flipped[0])
assert seen == {True, False}, seen
print("TV_RECIPES_OK")
"""


def test_torchvision_recipes_end_at_224_and_draw_once_per_batch() -> None:
    import os
    import subprocess

    import pytest

    if not TV_PYTHON.exists():
        pytest.skip(f"no torchvision venv at {TV_PYTHON} (docs/benchmarks.md sets it up)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    proc = subprocess.run([str(TV_PYTHON), "-c", TV_CHECK, str(ROOT / "benchmarks")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "TV_RECIPES_OK" in proc.stdout, proc.stdout + proc.stderr[-2000:]
