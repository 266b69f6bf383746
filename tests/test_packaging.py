"""A plain install (`pip install .`, no extras) runs every command: its runtime dependencies
are declared as such, and the wheel carries the templates, stylesheets and fonts."""

from __future__ import annotations

import subprocess
import sys
import venv

import pytest

from .conftest import CONTENT, ROOT, SLUG


@pytest.mark.skipif(sys.platform != "linux", reason="the CI machine is Linux")
def test_a_plain_install_checks_and_builds(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    tool = env_dir / "bin" / "make-brochure"
    work = tmp_path / "elsewhere"  # not the checkout: nothing may come from it but the content
    work.mkdir()
    check = subprocess.run(
        [tool, "check", "--quick", "--content", str(CONTENT)],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "no errors" in check.stderr
    out = tmp_path / "out"
    built = subprocess.run(
        [tool, "build", "-q", "--content", str(CONTENT), "--out", str(out)],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    assert (out / f"{SLUG}-en.pdf").stat().st_size > 100_000
    assert "Traceback" not in check.stderr + built.stderr
