"""outputs: one build per output folder, an edition's files replaced together, a build killed at
any moment leaving the previous set or the new one, output folder errors in one line, Ctrl-C.

Real builds use a cut-down copy of the sample (a build of about three seconds) over a copy of
the session's sample build, the previous outputs; the swap itself is driven directly, with
small fake files, in a subprocess killed at each of its steps.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brochure import cache, cli, content, finish, fonts, outputs

from .conftest import CONTENT, ROOT, SLUG, small_brochure

EN = f"{SLUG}-en"
SCRIPT = str(ROOT / "make_brochure.py")
KEEP = (
    "guidelines/project-cycle.md",
    "tools/gender-checklist.md",
    "case-studies/kisumu.md",
    "case-studies/hue.md",
)


# Fixtures: a small brochure, the previous outputs, the new ones ---------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cut down to one guideline, one tool and two case studies, in English only."""
    return small_brochure(tmp_path_factory.mktemp("small") / "content", KEEP)


@pytest.fixture(scope="module")
def previous_dir(sample_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous outputs: the session's build of the whole sample (with its HTML and the
    editions other tests added to its folder), and another language's edition and handouts."""
    out = _copy_previous(sample_pdf.parent, tmp_path_factory.mktemp("previous"))
    _files(out, {f"{SLUG}-xx.pdf": b"another language", "handouts/xx/kisumu.pdf": b"its handout"})
    return out


@pytest.fixture(scope="module")
def previous(previous_dir: Path) -> dict[str, str]:
    return _snapshot(previous_dir)


@pytest.fixture(scope="module")
def rebuilt(small: Path, previous_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small brochure built over a copy of the previous outputs, with what killed builds of
    older versions left there: a temporary PDF beside the outputs, one among another language's
    handouts, and a staging folder."""
    out = _copy_previous(previous_dir, tmp_path_factory.mktemp("rebuilt"))
    (out / f".{EN}.pdf.k1ll3d_x").write_bytes(b"half a PDF")
    (out / "handouts" / "xx" / ".kisumu.pdf.a1b2c3d4").write_bytes(b"half a handout")
    (out / ".staging-x8f2a1" / "new").mkdir(parents=True)
    (out / ".staging-x8f2a1" / "new" / f"{EN}.pdf").write_bytes(b"staged, never swapped")
    assert cli.main(["build", "--content", str(small), "--out", str(out), "-q"]) == 0
    return out


def _copy_previous(previous_dir: Path, parent: Path) -> Path:
    out = parent / "build"
    shutil.copytree(previous_dir, out, ignore=shutil.ignore_patterns(outputs.LOCK))
    return out


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (the lock file and the cache aside) -> its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != outputs.LOCK and cache.FOLDER not in path.parts
    }


def _edition_en(snapshot: dict[str, str]) -> dict[str, str]:
    return {
        name: digest
        for name, digest in snapshot.items()
        if name.startswith("handouts/en/") or name.startswith(f"{EN}.")
    }


# A real build: stale files removed, an edition's files replaced together ------------------------


def test_handouts_of_removed_case_studies_disappear_and_other_editions_stay(
    rebuilt: Path, previous: dict[str, str], small: Path
):
    after = _snapshot(rebuilt)
    brochure = content.load(small)
    wanted = sorted(d.id for d in brochure.documents if d.kind in ("case-study", "tool"))
    assert sorted(Path(n).stem for n in after if n.startswith("handouts/en/")) == wanted
    assert len([n for n in previous if n.startswith("handouts/en/")]) > len(wanted)
    # The whole English edition is the new build's: its HTML (not asked for this time) is gone.
    assert sorted(_edition_en(after)) == sorted(
        [f"{EN}.pdf", f"{EN}.layout.json", *(f"handouts/en/{id_}.pdf" for id_ in wanted)]
    )
    assert _edition_en(after)[f"{EN}.pdf"] != previous[f"{EN}.pdf"]
    # Other editions (other languages, the print variant) are left as they were.
    others = {n: d for n, d in previous.items() if n not in _edition_en(previous)}
    assert f"{SLUG}-xx.pdf" in others
    assert "handouts/xx/kisumu.pdf" in others
    assert {n: d for n, d in after.items() if n not in _edition_en(after)} == others
    # What killed builds left is gone: temporary files and the staging folder.
    left = [p for p in rebuilt.rglob(".*") if p.name != outputs.LOCK]
    assert not [p.name for p in left if cache.FOLDER not in p.parts]


def test_two_builds_into_one_folder_at_once_one_stops(
    small: Path, previous_dir: Path, rebuilt: Path, tmp_path: Path
):
    out = _copy_previous(previous_dir, tmp_path)
    command = [sys.executable, SCRIPT, "build", "-q", "--content", str(small), "--out", str(out)]
    builds = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    ended: dict[int, float] = {}
    deadline = time.monotonic() + 300
    while len(ended) < 2 and time.monotonic() < deadline:
        for i, build in enumerate(builds):
            if i not in ended and build.poll() is not None:
                ended[i] = time.monotonic()
        time.sleep(0.01)
    errors = [build.communicate(timeout=10)[1] for build in builds]
    codes = [build.returncode for build in builds]
    assert sorted(codes) == [0, 1], errors
    done, stopped = (0, 1) if codes[0] == 0 else (1, 0)
    assert errors[stopped].strip().splitlines() == [
        f"error: another build is running in {out}/ (pid {builds[done].pid}); "
        "wait for it or use --out"
    ]
    assert ended[stopped] < ended[done]  # it stopped at once, not after typesetting
    assert _snapshot(out) == _snapshot(rebuilt)  # one build's complete set


def test_check_needs_no_lock_and_a_build_names_the_holder(small: Path, tmp_path: Path, capsys):
    out = tmp_path / "build"
    with _held(out) as pid:
        assert cli.main(["check", "--quick", "--content", str(small), "--out", str(out)]) == 0
        assert cli.main(["build", "--content", str(small), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: another build is running in {out}/ (pid {pid}); wait for it or use --out" in err
    assert "Traceback" not in err
    assert _snapshot(out) == {}


# Killed at any moment: the previous set or the new one ------------------------------------------

_SWAP = """
import os, signal, sys
from pathlib import Path
from brochure import outputs

folder, kill_at = Path(sys.argv[1]), int(sys.argv[2])
steps = []

def step(name):
    if len(steps) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    steps.append(name)

outputs._on_step = step
with outputs.Staging(folder, outputs.edition_names("b-en", "en")) as staged:
    staged.write("b-en.pdf", b"new pdf")
    staged.write("b-en.layout.json", b"new layout")
    staged.write("handouts/en/a.pdf", b"new a")
    staged.write("handouts/en/c.pdf", b"new c")
print("\\n".join(steps))
"""

OLD = {
    "b-en.pdf": b"old pdf",
    "b-en.html": b"old html",
    "b-en.layout.json": b"old layout",
    "handouts/en/a.pdf": b"old a",
    "handouts/en/b.pdf": b"old b",
    "b-en-print.pdf": b"print",
    "b-fr.pdf": b"french",
    "handouts/fr/a.pdf": b"french a",
}
NEW = {
    "b-en.pdf": b"new pdf",
    "b-en.layout.json": b"new layout",
    "handouts/en/a.pdf": b"new a",
    "handouts/en/c.pdf": b"new c",
    "b-en-print.pdf": b"print",
    "b-fr.pdf": b"french",
    "handouts/fr/a.pdf": b"french a",
}


def _files(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _contents(folder: Path, staging: bool = True) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and path.name != outputs.LOCK
        and (staging or not path.relative_to(folder).parts[0].startswith(".staging-"))
    }


def test_a_swap_killed_at_every_step_leaves_the_previous_set_or_the_new_one(tmp_path: Path):
    def run(folder: Path, kill_at: int) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", _SWAP, str(folder), str(kill_at)]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)

    whole = run(_files(tmp_path / "whole", OLD), -1)
    assert whole.returncode == 0, whole.stderr
    steps = whole.stdout.splitlines()
    assert _contents(tmp_path / "whole") == NEW
    assert any(s.startswith("aside") for s in steps)
    assert any(s.startswith("in") for s in steps)
    commit = steps.index("commit")
    for kill_at, step in enumerate(steps):
        folder = _files(tmp_path / f"killed-{kill_at}", OLD)
        killed = run(folder, kill_at)
        assert killed.returncode == -signal.SIGKILL, (step, killed.stderr)
        seen = _contents(folder, staging=False)
        journal = list(folder.glob(".staging-*/journal.json"))
        assert seen in (OLD, NEW) or journal, f"killed before {step!r}: a mixed folder"
        with outputs.lock(folder):  # the next run
            pass
        expected = OLD if kill_at <= commit else NEW
        assert _contents(folder) == expected, f"killed before {step!r}"
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == [outputs.LOCK]


def test_a_real_build_killed_at_several_moments(
    small: Path, previous_dir: Path, previous: dict[str, str], rebuilt: Path, tmp_path: Path
):
    new = _snapshot(rebuilt)

    def staging(out: Path) -> list[Path]:
        return list(out.glob(".staging-*/new"))

    moments = {
        "typesetting": lambda out: (out / outputs.LOCK).stat().st_size > 0,
        "finishing": lambda out: bool(staging(out)),
        "handouts": lambda out: any(any(s.glob("handouts/en/*.pdf")) for s in staging(out)),
    }
    hit = []
    for moment, reached in moments.items():
        out = _copy_previous(previous_dir, tmp_path / moment)
        command = [sys.executable, SCRIPT, "build", "-q", "--content", str(small)]
        build = subprocess.Popen([*command, "--out", str(out)], stderr=subprocess.DEVNULL)
        try:
            if _wait_for(lambda out=out, reached=reached: reached(out), build, interval=0.002):
                hit.append(moment)
        finally:
            build.kill()
            build.wait()
        seen = _snapshot(out)
        visible = {n: d for n, d in seen.items() if not n.startswith(".staging-")}
        assert visible in (previous, new), f"killed while {moment}"
        with outputs.lock(out):  # the next run cleans up
            pass
        assert _snapshot(out) in (previous, new), f"killed while {moment}"
    assert len(hit) >= 2, f"the builds ended before the moments to kill them: {hit}"


# Output folder errors: one line, exit 1, the previous outputs kept ------------------------------


def test_a_full_disk_during_handouts_keeps_the_previous_outputs(
    small: Path, previous_dir: Path, previous: dict[str, str], tmp_path: Path, monkeypatch, capsys
):
    out = _copy_previous(previous_dir, tmp_path)
    fsync, handouts = os.fsync, []

    def full(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if "/handouts/" in path:
            handouts.append(path)
            if len(handouts) == 2:  # the first handout fits, the second does not
                raise OSError(errno.ENOSPC, "No space left on device")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    code = cli.main(["build", "--content", str(small), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: no space left on {out}/ (writing handouts/en/")
    assert lines[0].endswith("; the previous outputs were kept")
    assert _snapshot(out) == previous  # byte for byte, and no staging folder left


def test_a_read_only_folder_is_one_line(small: Path, tmp_path: Path):
    """A real read-only folder: a read-only bind mount in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    probe = ["unshare", "--mount", "--propagation", "private", "true"]
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    out = _files(tmp_path / "build", {f"{EN}.pdf": b"last good"})
    build = f"{sys.executable} {SCRIPT} build --content {small} --out {out}"
    mount = f"mount --bind -o ro {out} {out}"
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", f"{mount} && {build}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write to {out}/: read-only file system"
    ]
    assert _contents(out) == {f"{EN}.pdf": b"last good"}


def test_a_folder_without_write_permission_is_one_line(
    small: Path, tmp_path: Path, monkeypatch, capsys
):
    """Tests run as root, for whom chmod does not stop writes: os.mkdir refuses new folders
    in the output folder as it would for a user after `chmod a-w build`."""
    out = _files(tmp_path / "build", {f"{EN}.pdf": b"last good", "handouts/en/a.pdf": b"a"})
    (out / outputs.LOCK).touch()  # left by an earlier build; opening it still works
    mkdir = os.mkdir

    def refused(path, mode=0o777, *args, **kwargs):
        if Path(path).parent.resolve() == out.resolve() and not os.path.lexists(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        mkdir(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refused)
    assert cli.main(["build", "--content", str(small), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"error: cannot write to {out}/: permission denied"
    assert "Traceback" not in err
    assert "typeset" not in err  # found before typesetting
    assert _contents(out) == {f"{EN}.pdf": b"last good", "handouts/en/a.pdf": b"a"}


def test_out_naming_a_file_or_an_impossible_path_is_one_line(tmp_path: Path, capsys):
    file = tmp_path / "brochure.pdf"
    file.write_bytes(b"not a folder")
    assert cli.main(["build", "--content", str(CONTENT), "--out", str(file)]) == 1
    assert cli.main(["build", "--content", str(CONTENT), "--out", str(file / "sub")]) == 1
    export = ["i18n", "export", "--lang", "fr", "-q", "--content", str(CONTENT), "--out", str(file)]
    assert cli.main(export) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: cannot write to {file}/: it is a file, not a folder",
        f"error: cannot write to {file / 'sub'}/: {file} is a file",
        f"error: cannot write to {file / 'i18n'}/: {file} is a file",
    ]
    assert file.read_bytes() == b"not a folder"


# Ctrl-C -----------------------------------------------------------------------------------------


def test_ctrl_c_exits_130_with_interrupted(tmp_path: Path, monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(fonts, "coverage", interrupted)  # the glyphs stage
    assert cli.main(["check", "--quick", "--content", str(CONTENT)]) == 130
    assert cli.main(["build", "--content", str(CONTENT), "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert err.count("interrupted") == 2
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [tmp_path / outputs.LOCK]


def test_ctrl_c_during_handouts_keeps_the_previous_outputs(
    small: Path, previous_dir: Path, previous: dict[str, str], tmp_path: Path, monkeypatch, capsys
):
    out = _copy_previous(previous_dir, tmp_path)
    handouts = finish.handouts

    def interrupted(*args):
        handouts(*args)  # the handouts are written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(finish, "handouts", interrupted)
    assert cli.main(["build", "--content", str(small), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    assert _snapshot(out) == previous


# The swap, driven directly ----------------------------------------------------------------------


def _stage(folder: Path) -> None:
    with outputs.Staging(folder, outputs.edition_names("b-en", "en")) as staged:
        for name, data in NEW.items():
            if name.startswith(("b-en.", "handouts/en/")):
                staged.write(name, data)


def test_the_swap_replaces_an_editions_files_and_nothing_else(tmp_path: Path):
    folder = _files(tmp_path, OLD)
    _stage(folder)
    assert _contents(folder) == NEW
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == [outputs.LOCK]


def test_a_move_refused_during_the_swap_puts_everything_back(tmp_path: Path, monkeypatch):
    rename, calls, refuse_at = os.rename, [], [0]

    def refusing(source, target):
        calls.append(source)
        if len(calls) == refuse_at[0]:
            raise PermissionError(errno.EACCES, "Permission denied", str(source))
        rename(source, target)

    monkeypatch.setattr(os, "rename", refusing)
    _stage(_files(tmp_path / "counted", OLD))
    moves = len(calls)  # the journal's rename, then each file moved aside and in
    assert moves >= 8
    for k in range(1, moves + 1):
        folder = _files(tmp_path / f"refused-{k}", OLD)
        calls.clear()
        refuse_at[0] = k
        message = f"cannot write to {folder}/: permission denied; the previous outputs were kept"
        with pytest.raises(outputs.OutputError) as caught:
            _stage(folder)
        assert str(caught.value) == message
        assert _contents(folder) == OLD, f"move {k} refused"


def test_an_error_inside_the_block_leaves_the_previous_files(tmp_path: Path):
    folder = _files(tmp_path, OLD)

    def failing_build() -> None:
        with outputs.Staging(folder, outputs.edition_names("b-en", "en")) as staged:
            staged.write("b-en.pdf", b"new")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_build()
    assert _contents(folder) == OLD


# Helpers ----------------------------------------------------------------------------------------


def _wait_for(condition, process: subprocess.Popen, interval: float = 0.01) -> bool:
    """True once `condition` holds, False if the process ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        if process.poll() is not None:
            return False
        time.sleep(interval)
    raise AssertionError("timed out")


class _held:
    """The output folder's lock, held by another process."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> int:
        code = (
            "import sys; from pathlib import Path; from brochure import outputs\n"
            "with outputs.lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout.readline().strip() == "held"
        return self.process.pid

    def __exit__(self, *exc) -> None:
        self.process.communicate("")
