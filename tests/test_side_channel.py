"""SideChannelReader: records split anywhere, linear time for large payloads, oversized records skipped."""

from __future__ import annotations

import time

from gokernel.runner import SideChannelReader


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_records_split_at_every_byte() -> None:
    stream = b"result 5\nhellodisplay 0\ngoroutines 1\n3"
    reader = SideChannelReader()
    got = [r for b in _chunks(stream, 1) for r in reader.feed(b)]
    assert got == [("result", "hello"), ("display", ""), ("goroutines", "3")]


def test_a_large_record_is_read_in_linear_time() -> None:
    payload = b"x" * (40 << 20)
    reader = SideChannelReader()
    t0 = time.monotonic()
    got = [
        r for b in _chunks(b"display %d\n" % len(payload) + payload + b"result 2\nok", 1 << 16) for r in reader.feed(b)
    ]
    elapsed = time.monotonic() - t0
    assert [(t, len(p)) for t, p in got] == [("display", len(payload)), ("result", 2)]
    assert elapsed < 3.0, elapsed  # was ~17 s: the buffer was copied on every chunk


def test_a_record_over_the_limit_is_skipped_not_held() -> None:
    reader = SideChannelReader(limit=1000)
    stream = b"display 5000\n" + b"y" * 5000 + b"result 1\nz"
    got = [r for b in _chunks(stream, 700) for r in reader.feed(b)]
    assert got == [(SideChannelReader.TOO_LARGE, "display 5000"), ("result", "z")]
    assert reader._chunks == []


def test_garbage_is_dropped() -> None:
    reader = SideChannelReader()
    assert reader.feed(b"not our protocol at all\n") == []
    assert reader.feed(b"result 2\nok") == [("result", "ok")]
