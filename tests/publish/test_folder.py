"""Writing the public folder: a folder new to a build appears whole, or not at all."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from reminders.publish.folder import Left, PublishError, publish
from tests.support.folders import folder_bytes

FILES = {
    "index.html": b"<!doctype html>",
    "meetings.ics": b"BEGIN:VCALENDAR\r\n",
    "meetings/a.ics": b"BEGIN:VCALENDAR\r\nA\r\n",
    "meetings/b.ics": b"BEGIN:VCALENDAR\r\nB\r\n",
    "cities/lowell.ics": b"BEGIN:VCALENDAR\r\nL\r\n",
}


def test_a_first_build_fills_the_folder_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "site" / "public"
    written, removed = publish(FILES, folder)
    assert written == sorted(FILES)
    assert removed == []
    assert folder_bytes(folder) == FILES
    assert os.listdir(folder.parent) == ["public"]


class Watched(Mapping[str, bytes]):
    """Files that, each time one is taken, note what a reader of ``folder`` would see."""

    def __init__(self, files: dict[str, bytes], folder: Path) -> None:
        self.files, self.folder = files, folder
        self.seen: list[dict[str, bytes] | None] = []

    def __getitem__(self, name: str) -> bytes:
        self.seen.append(folder_bytes(self.folder) if self.folder.exists() else None)
        return self.files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


def test_a_reader_sees_no_folder_until_it_is_whole(tmp_path: Path) -> None:
    files = Watched(FILES, tmp_path / "public")
    publish(files, files.folder)
    assert files.seen == [None] * len(FILES)
    assert folder_bytes(files.folder) == FILES


def test_files_of_a_new_folder_are_public_whatever_the_umask(tmp_path: Path) -> None:
    before = os.umask(0o077)
    try:
        publish(FILES, tmp_path / "public")
    finally:
        os.umask(before)
    modes = {stat.S_IMODE((tmp_path / "public" / name).stat().st_mode) for name in FILES}
    assert modes == {0o644}


def test_a_subfolder_new_to_a_build_is_filled_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "public"
    publish({"index.html": FILES["index.html"]}, folder)
    written, _ = publish(FILES, folder)
    assert written == sorted(set(FILES) - {"index.html"})
    assert folder_bytes(folder) == FILES
    assert sorted(os.listdir(folder)) == ["cities", "index.html", "meetings", "meetings.ics"]


def test_a_first_build_that_fails_leaves_no_folder_and_names_the_place(tmp_path: Path) -> None:
    # "meetings" is made a file, so its folder cannot be: the build stops there.
    files = {"index.html": b"x", "meetings": b"in the way", "meetings/a.ics": b"y"}
    with pytest.raises(PublishError) as caught:
        publish(files, tmp_path / "public")
    assert str(caught.value) == f"{tmp_path / 'public' / 'meetings'}: cannot write: File exists"
    assert os.listdir(tmp_path) == []


def test_a_subfolder_that_fails_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "public"
    publish({"index.html": b"old"}, folder)
    files = {"index.html": b"new", "cities/x": b"in the way", "cities/x/a.ics": b"y"}
    with pytest.raises(PublishError, match="public/cities/x: cannot write: File exists"):
        publish(files, folder)
    assert folder_bytes(folder) == {"index.html": b"new"}  # written before the subfolder was tried
    assert os.listdir(folder) == ["index.html"]


def test_a_builder_that_keeps_a_record_rewrites_a_file_changed_behind_its_back(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "public"
    publish(FILES, folder)
    left = Left(racy_ns=0)  # trust every note: the change below must show in the file's stat
    publish(FILES, folder, left)
    time.sleep(0.05)  # past the file system's clock tick
    with open(folder / "meetings" / "a.ics", "r+b") as same_size_in_place:
        same_size_in_place.write(b"X")
    (folder / "cities" / "lowell.ics").unlink()
    copies = {name: bytes(bytearray(data)) for name, data in FILES.items()}  # equal, not noted
    written, _ = publish(copies, folder, left)
    assert written == ["cities/lowell.ics", "meetings/a.ics"]
    assert folder_bytes(folder) == FILES


def test_a_check_finds_the_files_changed_since_the_build_which_the_next_build_rewrites(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "public"
    left = Left(racy_ns=0)
    publish(FILES, folder, left)
    publish(FILES, folder, left)
    assert left.check(folder) == []
    time.sleep(0.05)
    with open(folder / "meetings" / "a.ics", "r+b") as same_size_in_place:
        same_size_in_place.write(b"X")
    (folder / "cities" / "lowell.ics").unlink()
    assert sorted(left.check(folder)) == ["cities/lowell.ics", "meetings/a.ics"]
    written, _ = publish(FILES, folder, left)  # the very bytes noted: trusted but for those
    assert written == ["cities/lowell.ics", "meetings/a.ics"]
    assert folder_bytes(folder) == FILES
    assert left.check(folder) == []


def test_a_check_reads_back_a_file_noted_too_soon_to_trust_and_finds_it_unchanged(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "public"
    left = Left()  # every file was written within the racy window: no note is trusted
    publish(FILES, folder, left)
    publish(FILES, folder, left)
    assert left.check(folder) == []  # each read back, and found as written


def test_a_record_is_trusted_only_when_taken_well_after_the_file_changed(tmp_path: Path) -> None:
    path = str(tmp_path / "a.ics")
    Path(path).write_bytes(b"AA")
    time.sleep(0.05)
    settled, fresh = Left(racy_ns=0), Left()  # the file changed 50 ms ago: racy by default
    for left in (settled, fresh):
        assert left.compare("a.ics", path, b"AA")
        left.end()
    equal = bytes(bytearray(b"AA"))  # the bytes noted, but not the object
    assert settled.holds("a.ics", path, equal) is True
    assert settled.holds("a.ics", path, b"BB") is False  # other bytes than those noted
    assert fresh.holds("a.ics", path, b"AA") is None  # read back: a change in the same tick
    assert fresh.holds("a.ics", path, b"BB") is False  # ... could not make it hold these
    os.utime(path, ns=(0, 0))
    assert settled.holds("a.ics", path, equal) is None  # its times are not those noted
    assert settled.holds("a.ics", path, b"BB") is None
    assert settled.kept("a.ics", b"AA")  # the very bytes noted, trusted unread: see Left.check
    assert not settled.kept("a.ics", equal)
    assert not fresh.kept("a.ics", b"AA")


def test_a_file_the_build_wrote_is_known_to_differ_from_other_bytes_but_not_to_hold_its_own(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "public"
    publish(FILES, folder)
    left = Left()
    changed = {**FILES, "meetings/a.ics": b"A, moved"}
    assert publish(changed, folder, left)[0] == ["meetings/a.ics"]
    path = str(folder / "meetings" / "a.ics")
    assert left.holds("meetings/a.ics", path, b"A, moved again") is False  # no read needed
    assert left.holds("meetings/a.ics", path, b"A, moved") is None  # written just now: read it
    time.sleep(0.05)
    with open(path, "r+b") as same_size_in_place:
        same_size_in_place.write(b"B")
    assert left.holds("meetings/a.ics", path, b"A, moved again") is None
    assert publish(changed, folder, left)[0] == ["meetings/a.ics"]
    assert folder_bytes(folder) == changed
