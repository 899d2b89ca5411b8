"""CLI conventions: --help everywhere, exit codes, clear errors naming file, line and key."""

from __future__ import annotations

import subprocess
import sys

import pytest

import invariant as iv
from invariant.cli import EXIT_INPUT, EXIT_USAGE, main

SUBCOMMANDS = ("demo", "preview", "ablate", "tune", "pba", "robustness")


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_help_everywhere(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"] if command is None else [command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "usage: invariant" in text
    if command is not None:
        assert "--seed" in text and "--out" in text
    flat = " ".join(text.split())  # argparse wraps help lines
    assert "(default: None)" not in flat and "(default: False)" not in flat  # nothing said by an empty default
    options = flat.split("options:", 1)[-1]  # the option list (the description may say "default" freely)
    for line in options.split(" --")[1:]:
        assert line.count("default") <= 1, f"an option states its default twice: --{line}"


def test_entry_point_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "invariant.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("invariant ")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["frobnicate"], ["preview"], ["demo", "--epochs", "many"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == EXIT_USAGE
    capsys.readouterr()


@pytest.mark.parametrize("command", ["preview", "ablate", "tune"])
def test_missing_config_file(command: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "does not exist" in err and "Traceback" not in err


def _config(tmp_path):
    path = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(64, scale=(0.5, 1.0))]), path)
    return path


def test_bad_key_names_line_and_key(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    text = path.read_text()
    lines = text.splitlines()
    scale_line = next(i for i, line in enumerate(lines) if line.strip() == "scale:") + 1
    (tmp_path / "bad.yaml").write_text(text.replace("scale:", "scael:"))
    assert main(["preview", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "p.png")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "scael" in err and "RandomResizedCrop" in err
    # the line of the offending transform's args (at or just above the bad key) is named
    line = int(err.split("bad.yaml:")[1].split(":")[0])
    assert 1 <= line <= scale_line


def test_unknown_transform_and_broken_yaml(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    (tmp_path / "unknown.yaml").write_text(path.read_text().replace("name: HorizontalFlip", "name: HorizontalFlipp"))
    assert main(["preview", str(tmp_path / "unknown.yaml")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "unknown transform 'HorizontalFlipp'" in err and "unknown.yaml:" in err
    (tmp_path / "broken.yaml").write_text("pipeline:\n  name: Compose\n  args: {transforms: [\n")
    assert main(["ablate", str(tmp_path / "broken.yaml")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "broken.yaml: line" in err and "not valid YAML" in err


def test_missing_image_and_data_folder(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    assert main(["preview", str(path), str(tmp_path / "missing.jpg"), "--out", str(tmp_path / "p.png")]) == EXIT_INPUT
    assert "missing.jpg" in capsys.readouterr().err
    assert main(["ablate", str(path), "--data", str(tmp_path / "nofolder"), "--out", str(tmp_path / "a")]) == EXIT_INPUT
    assert "nofolder" in capsys.readouterr().err


def test_preview_bad_out_n_and_cell_are_one_line_errors(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: an --out without an image extension, -n < 0 or --cell 0 used to end in a cv2.error traceback."""
    path = _config(tmp_path)
    for extra, word in ((["--out", str(tmp_path / "folder")], "ending in .png"), (["-n", "-1", "--out", str(tmp_path / "p.png")], "n:"), (["--cell", "0", "--out", str(tmp_path / "p.png")], "cell:")):
        assert main(["preview", str(path), *extra]) == EXIT_INPUT
        err = capsys.readouterr().err
        assert word in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "p.png").exists()


# -- one epochs check, images where the config goes, optional IMAGE, default output --------------------------------
@pytest.mark.parametrize("command", ["demo", "ablate", "tune"])
@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_epochs_below_one_is_refused_by_every_command(command: str, epochs: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    config = [] if command == "demo" else [str(_config(tmp_path))]
    assert main([command, *config, "--epochs", epochs, "--quick", "--no-progress", "--out", str(tmp_path / "o")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"--epochs: expected a positive integer (training epochs), got int {epochs}" in err and "Fix: pass e.g. --epochs 10" in err
    assert not (tmp_path / "o").exists()  # refused before anything ran


def test_demo_refuses_a_negative_robustness_count(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--robustness", "-1", "--quick", "--no-progress", "--out", str(tmp_path / "o")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "--robustness: expected 0 (skip the stage) or a positive number" in err and "Fix: pass e.g. --robustness 1000" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "argv",
    [["demo", "--threads", "0"], ["demo", "--lr", "-1"], ["demo", "--lr", "nan"], ["robustness", "--threads", "-2"], ["ablate", "CONFIG", "--threads", "0"], ["tune", "CONFIG", "--threads", "0"], ["tune", "CONFIG", "--trials", "0"]],
)
def test_numeric_options_are_usage_errors_naming_the_option(argv: list[str], tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: --threads 0 ended in torch's RuntimeError traceback, --lr -1 in torch's "Invalid learning rate"
    after the data were loaded, and --trials 0 named the Python argument n_trials after the data were loaded."""
    argv = [str(_config(tmp_path)) if a == "CONFIG" else a for a in argv]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--quick", "--no-progress", "--out", str(tmp_path / "o")])
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    option = argv[-2]
    assert f"argument {option}: expected a positive" in err and f"Fix: pass e.g. {option} " in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_grid_options_read_after_config_and_say_so(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: ``tune --grid-n 0 CONFIG`` (the list option reads CONFIG as a value) ended in argparse's
    bare "invalid int value: 'pipe.yaml'"; a negative value was accepted."""
    config = str(_config(tmp_path))
    with pytest.raises(SystemExit) as exc:
        main(["tune", "--grid-n", "0", config, "--quick", "--no-progress", "--out", str(tmp_path / "o")])
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"argument --grid-n: expected non-negative integers, got {config!r}" in err and "put CONFIG first" in err
    assert "Fix: invariant tune CONFIG --grid-n 1 2 3" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["tune", config, "--grid-m", "5", "-3", "--quick", "--no-progress", "--out", str(tmp_path / "o")])
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "argument --grid-m: expected non-negative integers, got '-3'. Fix: pass e.g. --grid-m 1 2 3" in err
    assert not (tmp_path / "o").exists()


def test_epochs_below_one_is_refused_by_the_python_api() -> None:
    pytest.importorskip("torch")
    from invariant.training.ablation import ablate
    from invariant.training.trainer import train_model
    from invariant.training.tuning import tune

    pipe = iv.Compose([iv.HorizontalFlip()])
    for run in (lambda: ablate(pipe, None, None, epochs=0), lambda: tune(pipe, None, None, epochs=0), lambda: train_model(pipe, None, None, epochs=0)):
        with pytest.raises(ValueError, match=r"^epochs: expected a positive integer \(training epochs\), got int 0"):
            run()


@pytest.mark.parametrize("command", ["preview", "ablate", "tune"])
@pytest.mark.parametrize("name", ["astronaut.png", "astronaut.jpg", "astronaut"])  # the last one by its bytes
def test_an_image_given_as_config_is_named_as_such(command: str, name: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    import cv2

    from invariant.data import load_photo

    image = tmp_path / name
    ok, encoded = cv2.imencode(".jpg" if name.endswith(".jpg") else ".png", load_photo())
    assert ok
    image.write_bytes(encoded.tobytes())
    assert main([command, str(image), "--out", str(tmp_path / ("p.png" if command == "preview" else "o"))]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"CONFIG: expected a pipeline file (YAML/JSON written by iv.save), got the image file {image}" in err
    assert "codec" not in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    if command == "preview":
        assert f"Fix: give the pipeline file first: invariant preview CONFIG {image}" in err


def test_preview_without_arguments_names_only_config(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["preview"])
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "the following arguments are required: CONFIG" in err and "IMAGE" not in err.splitlines()[-1]


def test_preview_default_output_is_a_git_ignored_folder() -> None:
    from pathlib import Path

    from invariant.cli import build_parser

    out = Path(build_parser().parse_args(["preview", "pipe.yaml"]).out)
    assert out.suffix == ".png" and len(out.parts) == 2  # a file inside a folder, not in the working directory
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert f"/{out.parts[0]}/" in ignored
    for command in ("demo", "ablate", "tune"):  # every default output folder is ignored too
        assert f"/{build_parser().parse_args([command] + ([] if command == 'demo' else ['p.yaml'])).out}/" in ignored


def test_cli_and_training_texts_stand_alone() -> None:
    """No text refers to a document that does not ship with the project."""
    import re
    from pathlib import Path

    import invariant.cli
    import invariant.training

    files = [Path(invariant.cli.__file__), *sorted(Path(invariant.training.__file__).parent.glob("*.py"))]
    for path in files:
        assert not re.search(r"\bthe guide\b|\bguide's\b|DESIGN\.md", path.read_text(), re.I), path
    from invariant.cli import build_parser

    parser = build_parser()
    helps = [parser.format_help()] + [action.choices[c].format_help() for action in parser._subparsers._group_actions for c in action.choices]
    assert not any(re.search(r"guide", text, re.I) for text in helps)
