"""Writing the public folder: whole files only, and only those whose bytes changed.

A web server may read the folder at any moment, so no reader ever sees half a
file. Where the folder already is, each changed file is replaced in one step
(:func:`reminders.files.write_atomically`) and the files the build owns but no
longer makes are removed. A folder that is not there yet (the first build, or
a subfolder new to this one) is filled under a hidden name beside its place
and renamed into it: a reader sees no folder, then the whole folder. That
also makes a first build cheaper: creating a file under its own name in a new
folder costs the file system a fraction of a temporary file and a rename,
which at ten thousand meetings was most of a cold build's time.

A process that builds again and again (the daemon) keeps a :class:`Left`:
what it left in the folder, and what ``stat`` said of each file then. A file
still holding the bytes the build would write, by that record, is not read
back to be compared; nor is one still holding other bytes than those. A build
that gives a file the very bytes object it noted (its meeting did not change)
does not even ``stat`` it: the daemon checks every file on each tick that
builds nothing (:meth:`Left.check`), and builds again if one changed.
"""

from __future__ import annotations

import fnmatch
import os
import secrets
import shutil
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import TypeAlias

from reminders.errors import ReminderError
from reminders.files import write_atomically

__all__ = ["OWNED", "Left", "PublishError", "publish"]

# Files the build owns, and removes when it no longer writes them (a meeting, a city or
# a language gone).
OWNED = ("meetings/*.ics", "cities/*.ics", "meetings.*.ics", "index.*.html")

# The mode write_atomically gives: the files are public, whatever the umask.
MODE = 0o644


# A file system's timestamps are coarse (a few milliseconds here, two seconds on FAT): a
# file changed this soon after its times were noted could show the times noted.
RACY_NS = 2_000_000_000

# A file's bytes, what stat said of it, and whether that was long enough after it changed.
_Note: TypeAlias = tuple[bytes, tuple[int, int, int, int], bool]


class PublishError(ReminderError):
    """A file of the public folder cannot be written."""


class Left:
    """The files a build left in the folder: their bytes, and what ``stat`` said of them.

    A file whose bytes are those the next build makes, and whose inode, size,
    modification and change times are those noted, is taken to hold them
    unread, as git's index takes a file to be unchanged. As in git, a note
    taken less than :data:`RACY_NS` after the file last changed cannot tell
    a later change within the same tick of the clock, so that file is read
    back once more and noted again. A folder on a network file system whose
    server's clock runs behind this one's by more than that is not safe to
    keep a record of: pass ``racy_ns`` to widen the window.

    Any note, however recent, may tell that a file does not hold the bytes
    the build makes (it was noted holding others, and its ``stat`` is the
    same): at worst the build then writes the bytes a file already held.
    """

    def __init__(self, racy_ns: int = RACY_NS) -> None:
        self.racy_ns = racy_ns
        self._noted: dict[str, _Note] = {}
        self._next: dict[str, _Note] = {}

    def kept(self, name: str, data: bytes) -> bool:
        """Whether ``data`` is the very bytes object noted, by a note old enough to trust.

        Such a file is taken to hold it without a ``stat``: a build gives the
        same object when the file's meeting did not change, and :meth:`check`
        finds a file changed since.
        """
        noted = self._noted.get(name)
        if noted is None or noted[0] is not data or not noted[2]:
            return False
        self._next[name] = noted
        return True

    def holds(self, name: str, path: str, data: bytes) -> bool | None:
        """Tell, without reading it, whether the file holds ``data``; None if unknown."""
        noted = self._noted.get(name)
        if noted is None:
            return None
        held, signature, trusted = noted
        try:
            if _signature(os.stat(path)) != signature:
                return None
        except OSError:
            return None
        if held is not data and held != data:
            return False
        if not trusted:
            return None
        self._next[name] = noted
        return True

    def compare(self, name: str, path: str, data: bytes) -> bool:
        """Read the file back and tell whether it holds ``data``; if so, note it if trusted.

        ``stat`` is asked before the read, so a change made while reading shows
        next time.
        """
        try:
            info = os.stat(path)
        except OSError:
            return False
        if not _holds(path, data):
            return False
        self._note(name, data, info)
        return True

    def check(self, folder: Path) -> list[str]:
        """The files that no longer hold the bytes noted, whose notes go for the next build.

        Each is judged as a build judges a file it would give the same bytes
        (:meth:`holds`, then :meth:`compare`): a note too recent to trust, or a
        ``stat`` that changed, means reading the file back.
        """
        changed = []
        for name, (held, _, _) in self._noted.items():
            path = os.path.join(folder, name)
            try:
                same = self.holds(name, path, held) or self.compare(name, path, held)
            except OSError:  # unreadable: the build will say why
                same = False
            if not same:
                changed.append(name)
        self.end()
        return changed

    def wrote(self, name: str, path: str, data: bytes) -> None:
        """Note a file this build wrote: too recent a note to tell that it holds ``data``."""
        with suppress(OSError):
            self._note(name, data, os.stat(path))

    def _note(self, name: str, data: bytes, info: os.stat_result) -> None:
        trusted = max(info.st_mtime_ns, info.st_ctime_ns) < time.time_ns() - self.racy_ns
        self._next[name] = (data, _signature(info), trusted)

    def end(self) -> None:
        """End a build: only the files it noted are known."""
        self._noted, self._next = self._next, {}


def _signature(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def publish(
    files: Mapping[str, bytes], folder: Path, left: Left | None = None
) -> tuple[list[str], list[str]]:
    """Write the files that changed and remove owned files no longer built.

    ``files`` maps paths relative to ``folder`` (``/``-separated) to their
    bytes. Returns the paths written and removed, sorted. A file that cannot
    be written (a full disk, a name taken by a folder) stops the build with a
    :class:`PublishError`; each file is whole, old or new, and the next build
    writes the rest. ``left`` is what the build before left, and is updated.
    """
    try:
        if not os.path.lexists(folder):
            _fill_aside(str(folder), files, left)
            return sorted(files), []
        return _update(files, str(folder), left)
    except OSError as error:
        place = error.filename or folder
        raise PublishError(f"{place}: cannot write: {error.strerror or error}") from None
    finally:
        if left is not None:
            left.end()


def _update(
    files: Mapping[str, bytes], folder: str, left: Left | None
) -> tuple[list[str], list[str]]:
    # Names stay strings: a build compares ten thousand files, and pathlib's objects
    # cost more than reading them.
    written = []
    new: dict[str, dict[str, bytes]] = {}  # a subfolder not there yet: its files
    there: dict[str, bool] = {}
    for name, data in files.items():
        head, slash, rest = name.partition("/")
        if slash and head not in there:
            there[head] = os.path.lexists(os.path.join(folder, head))
        if slash and not there[head]:
            new.setdefault(head, {})[rest] = data
            continue
        if left is not None and left.kept(name, data):
            continue
        path = f"{folder}/{name}"  # os.path.join's checks cost more than a stat here
        known = None if left is None else left.holds(name, path, data)
        if known is None:
            known = left.compare(name, path, data) if left else _holds(path, data)
        if not known:
            write_atomically(Path(path), data, MODE, durable=False)  # rebuilt if lost
            written.append(name)
            if left is not None:
                left.wrote(name, path, data)
    for head, inside in new.items():
        _fill_aside(os.path.join(folder, head), inside, left, f"{head}/")
        written.extend(f"{head}/{rest}" for rest in inside)
    removed = []
    for pattern in OWNED:
        sub, _, match = pattern.rpartition("/")
        try:
            there_now = os.listdir(os.path.join(folder, sub))
        except (FileNotFoundError, NotADirectoryError):
            continue
        prefix = f"{sub}/" if sub else ""
        # Most names there are built again: only the others are matched against the pattern.
        gone = [base for base in there_now if prefix + base not in files]
        for base in sorted(fnmatch.filter(gone, match)):
            os.unlink(os.path.join(folder, prefix + base))
            removed.append(prefix + base)
    return sorted(written), removed


def _fill_aside(
    target: str, files: Mapping[str, bytes], left: Left | None = None, prefix: str = ""
) -> None:
    """Make the missing folder ``target`` holding ``files``: beside it, then renamed into place.

    ``left`` notes each file, under ``prefix`` and its name.
    """
    parent, name = os.path.split(target)
    os.makedirs(parent or ".", exist_ok=True)
    aside = os.path.join(parent, f".{name}.{secrets.token_hex(4)}.new")
    os.mkdir(aside)  # the mode mkdir gives, as the folder made in place had
    try:
        made = {""}
        for relative, data in files.items():
            sub = os.path.dirname(relative)
            if sub not in made:
                os.makedirs(os.path.join(aside, sub), exist_ok=True)
                made.add(sub)
            _create(os.path.join(aside, relative), data)
        os.rename(aside, target)
    except OSError as error:
        shutil.rmtree(aside, ignore_errors=True)
        # Name the place the reader knows, not the hidden one.
        place = (error.filename or target).replace(aside, target, 1)
        raise OSError(error.errno, error.strerror, place) from None
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    if left is not None:
        for relative, data in files.items():
            left.wrote(prefix + relative, os.path.join(target, relative), data)


def _create(path: str, data: bytes) -> None:
    """Make a new file holding ``data`` (with bare system calls: ten thousand add up)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, MODE)
    try:
        os.fchmod(handle, MODE)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _holds(path: str, data: bytes) -> bool:
    """Tell whether the file at ``path`` holds ``data`` (one byte more is read: longer is not)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False
