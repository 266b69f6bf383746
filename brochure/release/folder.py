"""Files -> the release folder `dist/<slug>-<edition date>/`, written whole or not at all.

`Staging(dist, name, replace)` is a `with` block in which the release writes its files into a
hidden `dist/.release-<name>-*/`. Leaving the block normally adds `SHA256SUMS` (in the format
`sha256sum -c` reads), syncs everything to disk and renames the folder into place; an error or
Ctrl-C deletes it. Replacing an earlier release of the same date (only when asked) moves the
old folder aside to `.old-<name>`, renames the new one in and deletes the old. A release killed
at any moment leaves the old folder, or none: the next release's `recover` deletes a
half-written staging folder and puts back an old folder whose replacement never arrived.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ..outputs import OutputError

__all__ = ["SUMS", "Staging", "recover", "refuse_existing", "sums"]

SUMS = "SHA256SUMS"
_STAGING = ".release-"
_OLD = ".old-"


def _on_step(step: str) -> None:
    """Called before each step of writing and renaming; tests replace it to kill the release."""


def refuse_existing(target: Path, replace: bool) -> None:
    if target.exists() and not replace:
        raise OutputError(
            f"{target} already exists (a release of the same edition date); pass --replace to "
            "make it again, or change the manifest's edition date"
        )


def recover(dist: Path) -> None:
    """Finish what a killed release left in `dist`: staging folders deleted, an old release
    whose replacement never arrived put back, one that was replaced deleted."""
    if not dist.is_dir():
        return
    for path in sorted(dist.iterdir()):
        if path.name.startswith(_STAGING) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(_OLD) and path.is_dir():
            target = dist / path.name.removeprefix(_OLD)
            if target.exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rename(path, target)


class Staging:
    """The release folder being written; see the module's docstring."""

    def __init__(self, dist: Path, name: str, replace: bool):
        self.dist = dist
        self.target = dist / name
        self.replace = replace
        self.path: Path | None = None

    def __enter__(self) -> Staging:
        refuse_existing(self.target, self.replace)
        try:
            self.dist.mkdir(parents=True, exist_ok=True)
            self.path = Path(
                tempfile.mkdtemp(prefix=f"{_STAGING}{self.target.name}-", dir=self.dist)
            )
            umask = os.umask(0o022)
            os.umask(umask)
            self.path.chmod(0o777 & ~umask)  # mkdtemp's folder is private; a release is not
        except OSError as error:
            raise OutputError(
                f"cannot write the release in {self.dist}: {error.strerror}"
            ) from error
        return self

    def write(self, name: str, data: bytes) -> Path:
        assert self.path is not None
        _on_step(f"write {name}")
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def copy(self, source: Path, name: str) -> Path:
        assert self.path is not None
        _on_step(f"write {name}")
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return path

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.path is not None
        staged, self.path = self.path, None
        if error is not None:
            shutil.rmtree(staged, ignore_errors=True)
            if isinstance(error, OSError):
                raise OutputError(
                    f"cannot write the release in {self.dist}: {error.strerror}"
                ) from error
            return
        try:
            (staged / SUMS).write_bytes(sums(staged))
            _sync(staged)
            self._rename(staged)
        except OSError as error:
            shutil.rmtree(staged, ignore_errors=True)
            raise OutputError(
                f"cannot write the release in {self.dist}: {error.strerror}"
            ) from error

    def _rename(self, staged: Path) -> None:
        old = self.dist / f"{_OLD}{self.target.name}"
        if self.target.exists():
            refuse_existing(self.target, self.replace)
            _on_step("aside")
            os.rename(self.target, old)
        _on_step("commit")
        os.rename(staged, self.target)
        _sync_folder(self.dist)
        _on_step("done")
        if old.exists():
            shutil.rmtree(old)


def sums(folder: Path) -> bytes:
    """`sha256sum`'s lines for every file in `folder` but the sums themselves, sorted by path."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name != SUMS:
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    return "".join(lines).encode()


def _sync(folder: Path) -> None:
    """Everything in `folder` on disk before it is renamed into place."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as file:
                os.fsync(file.fileno())
        else:
            _sync_folder(path)
    _sync_folder(folder)


def _sync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
