"""Segments counted as carriers count them: GSM-7 160/153, UCS-2 70/67."""

from __future__ import annotations

import pytest

from reminders.sms.segments import Segments, count_segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("GSM-7", 0, 1)),
        ("Reply STOP to stop.", Segments("GSM-7", 19, 1)),
        ("a" * 160, Segments("GSM-7", 160, 1)),
        ("a" * 161, Segments("GSM-7", 161, 2)),
        ("a" * 306, Segments("GSM-7", 306, 2)),
        ("a" * 307, Segments("GSM-7", 307, 3)),
        ("€" * 80, Segments("GSM-7", 160, 1)),  # the extension table: two septets each
        ("[x]" * 40, Segments("GSM-7", 200, 2)),  # 40 x (2 + 1 + 2) septets
        ("Café à Genève, ÄÖÜ ñ ¿?", Segments("GSM-7", 23, 1)),  # all in the basic set
        ("a" * 159 + "😀", Segments("UCS-2", 161, 3)),  # one emoji: the whole text is UCS-2
        ("😀", Segments("UCS-2", 2, 1)),  # outside the BMP: two UTF-16 units
        ("reunión", Segments("UCS-2", 7, 1)),  # ó is not in GSM-7 (ò is)
        ("ا" * 70, Segments("UCS-2", 70, 1)),
        ("ا" * 71, Segments("UCS-2", 71, 2)),
        ("تذكير: اجتماع " * 10, Segments("UCS-2", 140, 3)),  # Arabic
        ("提醒：会议" * 27, Segments("UCS-2", 135, 3)),
        ("提醒：会议" * 26 + "提醒会议", Segments("UCS-2", 134, 2)),
    ],
)
def test_segments_follow_the_gsm_and_ucs2_rules(text: str, expected: Segments) -> None:
    assert count_segments(text) == expected
