"""The output folder: what a build leaves in it, replaced together, one build at a time.

In: an output folder (`build/`, or `--out DIR`) and, per edition, the names the edition owns
there (`edition_names`): its PDF and optional HTML, and for the default variant its layout
report and `handouts/<lang>/`. Out: those names replaced together by what the build wrote, so a
reader always finds one build's complete set; other editions' files are never touched.

- `lock(folder)`: one build per output folder. An `fcntl.flock` on `folder/.build.lock`, which
  holds the pid of the build for the message a second build prints; the kernel releases the
  lock when its build dies, however it dies. Taking the lock also finishes or removes what a
  killed build left behind (`_recover`).
- `Staging(folder, names)`: a `with` block in which the build writes its files into
  `folder/.staging-*/new/`. Leaving the block normally swaps them in: a journal of the moves is
  written, the previous files are moved aside into `.staging-*/old/`, the new ones moved in, the
  journal removed, the staging folder deleted. An owned name the build did not write this time
  (the handouts of a removed case study live inside `handouts/<lang>/`; the HTML when `--html`
  was not given) is moved aside and deleted with it. An error or Ctrl-C inside the block deletes
  the staging folder and leaves the previous files as they were; an error during the swap moves
  them back. A build killed during the swap leaves its journal, and the next `lock` finishes the
  swap from it; one killed before leaves a staging folder without a journal, which the next
  `lock` deletes. So a build killed at any moment leaves the previous set or the new one.
- `OutputError`: a busy output folder, or one that cannot be written (read-only, full, a file,
  an impossible path), in one line for the user.
- `write_atomically(target, data)`: one file, written beside its target and moved into place;
  `write` does the same and reports a failure as an `OutputError`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path, PurePosixPath
from types import TracebackType

__all__ = [
    "LOCK",
    "OutputError",
    "Staging",
    "adopt",
    "edition_names",
    "lock",
    "write",
    "write_atomically",
]

LOCK = ".build.lock"
_STAGING = ".staging-"
_JOURNAL = "journal.json"
# What write_atomically leaves when its process is killed: "." + the target's name + "." and
# mkstemp's eight characters. Builds before the staging folder left these beside their outputs.
_TEMPORARY = re.compile(r"\..+\.(pdf|json|html)\.[A-Za-z0-9_]{8}")
_DEFERRED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class OutputError(Exception):
    """The output folder cannot take this build's files; the message is one line for the user."""


def _on_step(step: str) -> None:
    """Called before each step of writing and swapping; tests replace it to kill the build."""


def edition_names(stem: str, lang: str | None = None) -> tuple[str, ...]:
    """The names an edition owns in the output folder: `<stem>.pdf` and `<stem>.html`, and
    with `lang` (the default variant) `<stem>.layout.json` and `handouts/<lang>`."""
    names = (f"{stem}.pdf", f"{stem}.html")
    if lang is not None:
        names += (f"{stem}.layout.json", f"handouts/{lang}")
    return names


# The lock --------------------------------------------------------------------------------------

_held: set[str] = set()  # output folders this process holds (a build inside `build --all`)


@contextmanager
def lock(folder: Path) -> Iterator[None]:
    """Hold `folder` for this build, creating it if need be; finish or remove what a killed
    build left in it, and make sure a folder can be created in it before any typesetting.
    Raises OutputError if another build holds it or it cannot be written. Re-entrant within a
    process."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(folder)
    except OSError as error:
        raise OutputError(_describe(error, folder)) from error
    if key in _held:
        yield
        return
    try:
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise OutputError(_describe(error, folder)) from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(_busy(fd, folder)) from None
        _held.add(key)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            _recover(folder)
            os.rmdir(tempfile.mkdtemp(prefix=_STAGING, dir=folder))  # writable? say so now
        except OSError as error:
            raise OutputError(_describe(error, folder)) from error
        yield
    finally:
        if key in _held:
            _held.discard(key)
            with suppress(OSError):
                os.ftruncate(fd, 0)  # no pid: nobody holds it
        os.close(fd)


def adopt(folder: Path) -> None:
    """In a worker process of a build whose parent holds `folder`'s lock (`build --all`): write
    there as if this process held it. The parent keeps the lock until every worker is done."""
    _held.add(os.path.realpath(folder))


def _busy(fd: int, folder: Path) -> str:
    """The message for a folder another build holds, with that build's pid if it wrote it."""
    pid = ""
    for _ in range(20):  # the holder writes its pid just after taking the lock
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if pid:
            break
        time.sleep(0.01)
    which = f" (pid {pid})" if pid.isdigit() else ""
    return f"another build is running in {folder}/{which}; wait for it or use --out"


# Staging and the swap ----------------------------------------------------------------------------


class Staging:
    """One edition's files, written aside and moved into place together (see the module)."""

    def __init__(self, folder: Path, names: Iterable[str]):
        self.folder = folder
        self.names = tuple(names)
        self._path: Path | None = None
        self._lock = ExitStack()

    @property
    def new(self) -> Path:
        """Where the build writes its files, under the names they will have in the folder."""
        if self._path is None:
            raise RuntimeError("Staging.new is only there inside its `with` block")
        return self._path / "new"

    def write(self, name: str, data: bytes) -> Path:
        """Stage `data` as `name`; returns where it will stand after the swap."""
        _on_step(f"write {name}")
        write_atomically(self.new / name, data)
        return self.folder / name

    def __enter__(self) -> Staging:
        self._lock.enter_context(lock(self.folder))
        try:
            self._path = Path(tempfile.mkdtemp(prefix=_STAGING, dir=self.folder))
            self.new.mkdir()
        except OSError as error:
            self._lock.close()
            raise OutputError(_describe(error, self.folder)) from error
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._path is not None
        try:
            if error is None:
                self._swap(self._path)
                return
            _discard(self._path)
            if isinstance(error, OSError):  # inside the block, only writing raises OSError
                raise OutputError(_describe(error, self.folder, self.new, kept=True)) from error
        finally:
            self._path = None
            self._lock.close()

    def _swap(self, staging: Path) -> None:
        stray = [n for n in _staged(staging / "new") if not any(_within(n, o) for o in self.names)]
        if stray:
            _discard(staging)
            raise ValueError(f"staged files the edition does not own: {stray}")
        written = [n for n in self.names if os.path.lexists(staging / "new" / n)]
        # The PDF goes in last, so a program waiting for it finds its handouts already there.
        put = sorted(written, key=lambda n: n.endswith(".pdf"))
        journal = {"put": put, "remove": [n for n in self.names if n not in written]}
        with _signals_deferred():  # Ctrl-C waits for the swap: the journal covers only a kill
            try:
                _write_journal(staging, journal)
            except OSError as error:
                _discard(staging)
                raise OutputError(_describe(error, self.folder, kept=True)) from error
            try:
                _roll_forward(self.folder, staging, journal)
            except OSError as error:
                try:
                    _roll_back(self.folder, staging, journal)
                except OSError:
                    message = _describe(error, self.folder)
                    raise OutputError(
                        f"{message}; the swap stopped halfway, the next build will finish it"
                    ) from error
                _discard(staging)
                raise OutputError(_describe(error, self.folder, kept=True)) from error
            _discard(staging)


def _write_journal(staging: Path, journal: dict[str, list[str]]) -> None:
    """The commit point: once journal.json exists, the swap will be finished, by this build or
    the next one. Everything staged is on disk before it is written."""
    _on_step("journal")
    _sync_tree(staging / "new")
    temporary = staging / (_JOURNAL + ".tmp")
    with open(temporary, "wb") as file:
        file.write(json.dumps(journal).encode())
        file.flush()
        os.fsync(file.fileno())
    _on_step("commit")
    os.rename(temporary, staging / _JOURNAL)
    _sync_folder(staging)


def _roll_forward(folder: Path, staging: Path, journal: dict[str, list[str]]) -> None:
    """Move the previous files aside and the new ones in. Each name moves at most once each
    way, and what has moved is read from the folders, so this can be run again after a kill."""
    new, old = staging / "new", staging / "old"
    put = journal["put"]
    for name in [*journal["remove"], *reversed(put)]:
        if name in put and not os.path.lexists(new / name):
            continue  # already moved in: what stands there now is the new file
        if os.path.lexists(folder / name):
            _move(folder / name, old / name, f"aside {name}")
    for name in put:
        if os.path.lexists(new / name):
            _move(new / name, folder / name, f"in {name}")
    _sync_folder(folder)
    for name in put:
        if "/" in name:
            _sync_folder((folder / name).parent)
    _on_step("done")


def _roll_back(folder: Path, staging: Path, journal: dict[str, list[str]]) -> None:
    """Undo a swap that failed halfway, in the same run: the new files out, the old ones back."""
    new, old = staging / "new", staging / "old"
    for name in journal["put"]:
        if not os.path.lexists(new / name) and os.path.lexists(folder / name):
            _move(folder / name, new / name, f"undo {name}")
    for name in [*journal["put"], *journal["remove"]]:
        if os.path.lexists(old / name) and not os.path.lexists(folder / name):
            _move(old / name, folder / name, f"restore {name}")


def _move(source: Path, target: Path, step: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):  # only if someone wrote here without the lock
        _remove(target)
    _on_step(step)
    os.rename(source, target)


def _recover(folder: Path) -> None:
    """Under the lock: finish the swap of a build killed during it (its journal says what to
    move), delete staging folders of builds killed before their swap, and temporary files."""
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(_STAGING) and entry.is_dir() and not entry.is_symlink():
            journal = _read_journal(entry)
            if journal is not None:
                _roll_forward(folder, entry, journal)
            _discard(entry)
        elif _TEMPORARY.fullmatch(entry.name) and entry.is_file():
            entry.unlink()
    for entry in folder.glob("handouts/*/.*"):
        if _TEMPORARY.fullmatch(entry.name) and entry.is_file():
            entry.unlink()


def _read_journal(staging: Path) -> dict[str, list[str]] | None:
    """The journal of a committed swap, or None if the build died before committing it."""
    try:
        journal = json.loads((staging / _JOURNAL).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:  # written whole and renamed into place: only tampering gets here
        return None
    names = [*journal.get("put", []), *journal.get("remove", [])]
    if not all(isinstance(n, str) and _safe(n) for n in names):
        return None
    return {"put": list(journal.get("put", [])), "remove": list(journal.get("remove", []))}


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def _discard(staging: Path) -> None:
    """Delete a staging folder: the journal first, so a half-deleted one is never replayed."""
    with suppress(OSError):
        (staging / _JOURNAL).unlink(missing_ok=True)
    _on_step("clean")
    shutil.rmtree(staging, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _staged(new: Path) -> list[str]:
    return [p.relative_to(new).as_posix() for p in new.rglob("*") if not p.is_dir()]


def _within(name: str, owned: str) -> bool:
    return name == owned or name.startswith(owned + "/")


def _sync_tree(root: Path) -> None:
    """Make the staged folders' entries durable (write_atomically synced each file)."""
    for path in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        _sync_folder(path)


def _sync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP are held until the block ends (then delivered as usual)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# Writing one file --------------------------------------------------------------------------------


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `target`, sync it, and move it into place: a
    reader sees the previous file or the new one, never part of one. An OSError names `target`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno and error.filename is None:
            error.filename = str(target)  # a full disk fails in write(), which names no file
        raise


def write(target: Path, data: bytes) -> None:
    """`write_atomically` for a file in an output folder: a failure is an OutputError."""
    try:
        write_atomically(target, data)
    except OSError as error:
        raise OutputError(_describe(error, target.parent)) from error


# Messages ----------------------------------------------------------------------------------------


def _describe(error: OSError, folder: Path, staged: Path | None = None, kept: bool = False) -> str:
    """One line for an OSError met while writing into `folder`."""
    where = f"{folder}/"
    after = "; the previous outputs were kept" if kept else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        name = _name(error.filename, staged)
        writing = f" (writing {name})" if name else ""
        return f"no space left on {where}{writing}{after}"
    if error.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif error.errno == errno.EROFS:
        reason = "read-only file system"
    elif error.errno in (errno.EEXIST, errno.ENOTDIR):
        reason = _not_a_folder(folder, error.filename)
    elif error.errno:
        reason = os.strerror(error.errno).lower()
    else:
        reason = str(error)
    return f"cannot write to {where}: {reason}{after}"


def _not_a_folder(folder: Path, filename: object) -> str:
    """Which path in the way is a file: `--out` itself, one of its parents, or inside it."""
    paths = [folder, *folder.parents]
    if isinstance(filename, str):
        paths = [Path(filename), *Path(filename).parents, *paths]
    blocker = next((p for p in paths if p.is_file()), None)
    if blocker is None:
        return "not a folder"
    return "it is a file, not a folder" if blocker == folder else f"{blocker} is a file"


def _name(filename: object, staged: Path | None) -> str:
    if not isinstance(filename, str) or staged is None:
        return ""
    try:
        return Path(filename).relative_to(staged).as_posix()
    except ValueError:
        return ""
