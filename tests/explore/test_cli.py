"""`invariant explore` on the command line: prints the URL, serves the page, stops on interrupt;
bad input exits 1 with the library's one-line error."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request

from invariant.cli import main


def test_explore_prints_the_url_and_serves_the_page(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "invariant.cli", "explore", "--no-samples", "--images", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0), timeout=30) as response:
            assert response.status == 200 and b"invariant explore" in response.read()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_bad_input_exits_1_with_one_line(tmp_path, capsys):
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["explore", str(image)]) == 1
    assert "got the image file" in capsys.readouterr().err
    assert main(["explore", "--images", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["explore", "--task", "nope", "--no-samples"]) == 1
    assert "expected one of" in capsys.readouterr().err
