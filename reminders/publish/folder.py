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
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from reminders.errors import ReminderError
from reminders.files import write_atomically

__all__ = ["OWNED", "PublishError", "publish"]

# Files the build owns, and removes when it no longer writes them (a meeting, a city or
# a language gone).
OWNED = ("meetings/*.ics", "cities/*.ics", "meetings.*.ics", "index.*.html")

# The mode write_atomically gives: the files are public, whatever the umask.
MODE = 0o644


class PublishError(ReminderError):
    """A file of the public folder cannot be written."""


def publish(files: Mapping[str, bytes], folder: Path) -> tuple[list[str], list[str]]:
    """Write the files that changed and remove owned files no longer built.

    ``files`` maps paths relative to ``folder`` (``/``-separated) to their
    bytes. Returns the paths written and removed, sorted. A file that cannot
    be written (a full disk, a name taken by a folder) stops the build with a
    :class:`PublishError`; each file is whole, old or new, and the next build
    writes the rest.
    """
    try:
        if not os.path.lexists(folder):
            _fill_aside(str(folder), files)
            return sorted(files), []
        return _update(files, str(folder))
    except OSError as error:
        place = error.filename or folder
        raise PublishError(f"{place}: cannot write: {error.strerror or error}") from None


def _update(files: Mapping[str, bytes], folder: str) -> tuple[list[str], list[str]]:
    # Names stay strings: a build compares ten thousand files, and pathlib's objects
    # cost more than reading them.
    written = []
    new: dict[str, dict[str, bytes]] = {}  # a subfolder not there yet: its files
    there: dict[str, bool] = {}
    for name, data in sorted(files.items()):
        head, slash, rest = name.partition("/")
        if slash and head not in there:
            there[head] = os.path.lexists(os.path.join(folder, head))
        if slash and not there[head]:
            new.setdefault(head, {})[rest] = data
        elif not _holds(os.path.join(folder, name), data):
            write_atomically(Path(folder, name), data, MODE, durable=False)  # rebuilt if lost
            written.append(name)
    for head, inside in new.items():
        _fill_aside(os.path.join(folder, head), inside)
        written.extend(f"{head}/{rest}" for rest in inside)
    removed = []
    for pattern in OWNED:
        for name in sorted(glob.glob(pattern, root_dir=folder, include_hidden=True)):
            if name not in files:
                os.unlink(os.path.join(folder, name))
                removed.append(name)
    return sorted(written), removed


def _fill_aside(target: str, files: Mapping[str, bytes]) -> None:
    """Make the missing folder ``target`` holding ``files``: beside it, then renamed into place."""
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
