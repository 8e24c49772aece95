"""The Matroska reader on real call media: bit-exact PCM per track, whatever the stream's byte boundaries.

Fixtures are made at test time: espeak-ng speaks, ffmpeg muxes two PCM tracks named as Connect names
them, and the file is laid out as Connect's fragments (EBML header + Segment per fragment, unknown
sizes, AWS_KINESISVIDEO_* tags before the cluster, ContactId after it).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

import pytest
from connect_zendesk.kvs import ebml
from connect_zendesk.kvs.fragments import (
    FragmentReader,
    KvsStreamError,
    MediaFragment,
    fragment_key,
    interleave,
    read_fragments,
)
from connect_zendesk_local.kvs_fixtures import (
    CallMedia,
    build_call,
    connect_fragments,
    element,
    encode_size,
    mux,
    tags,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def chunked(data: bytes, sizes: Iterable[int]) -> Iterator[bytes]:
    position = 0
    for size in sizes:
        if position >= len(data):
            return
        yield data[position : position + size]
        position += size
    if position < len(data):
        yield data[position:]


def tracks_of(fragments: Iterable[MediaFragment]) -> tuple[bytes, bytes]:
    fragments = list(fragments)
    return b"".join(f.customer for f in fragments), b"".join(f.agent for f in fragments)


# ---------------------------------------------------------------------------- real media
def test_parser_returns_each_track_bit_exact_with_connect_fragment_identity(demo_call: CallMedia) -> None:
    # When the whole stream is read at once
    fragments = list(read_fragments([demo_call.stream]))
    # Then every fragment comes back, in order, with its number, contact, timestamps and 8 kHz PCM
    assert [f.number for f in fragments] == [f.number for f in demo_call.fragments]
    assert {f.contact_id for f in fragments} == {demo_call.script.contact_id}
    assert all(f.sample_rate == 8000 for f in fragments)
    stamps = [f.producer_timestamp_ms for f in fragments]
    assert all(stamp is not None for stamp in stamps)
    assert stamps == sorted(stamps)
    assert fragments[0].tags["MimeType"].startswith("audio/L16;rate=8000")
    # And the samples of each track are exactly those espeak-ng spoke, resampled by ffmpeg
    assert tracks_of(fragments) == (demo_call.audio.customer, demo_call.audio.agent)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=70_000), min_size=1, max_size=60))
def test_samples_are_bit_exact_whatever_byte_boundaries_the_stream_is_cut_at(
    demo_call: CallMedia, sizes: list[int]
) -> None:
    fragments = list(read_fragments(chunked(demo_call.stream, sizes)))
    assert tracks_of(fragments) == (demo_call.audio.customer, demo_call.audio.agent)
    assert [f.number for f in fragments] == [f.number for f in demo_call.fragments]


def test_one_byte_at_a_time_gives_the_same_fragments(demo_call: CallMedia) -> None:
    data = b"".join(f.data for f in demo_call.fragments[:2])
    one_by_one = list(read_fragments(data[i : i + 1] for i in range(len(data))))
    assert one_by_one == list(read_fragments([data]))


def test_known_size_segments_and_clusters_read_the_same(demo_call: CallMedia, tmp_path: object) -> None:
    # Given the same call laid out with every size written (as a file, not a live stream)
    sized = connect_fragments(_mkv(demo_call), demo_call.script.contact_id, unknown_sizes=False)
    data = b"".join(f.data for f in sized)
    assert b"\x01\xff\xff\xff\xff\xff\xff\xff" not in data[:64]
    # Then the tracks are the same samples
    assert tracks_of(read_fragments(chunked(data, [777] * 10_000))) == (
        demo_call.audio.customer,
        demo_call.audio.agent,
    )


def _mkv(call: CallMedia) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        return mux(call.audio, Path(directory))


def test_reading_resumes_at_a_fragment_number(demo_call: CallMedia) -> None:
    # Given GetMedia started at the sixth fragment (StartSelector FRAGMENT_NUMBER, inclusive)
    start = 5
    resumed = list(read_fragments([b"".join(f.data for f in demo_call.fragments[start:])]))
    # Then the reader picks up at a fragment boundary, and the two halves are the whole call
    first = list(read_fragments([b"".join(f.data for f in demo_call.fragments[:start])]))
    assert resumed[0].number == demo_call.fragments[start].number
    assert tracks_of(first + resumed) == (demo_call.audio.customer, demo_call.audio.agent)
    assert fragment_key(resumed[0].number) > fragment_key(first[-1].number)


def test_a_stream_cut_mid_fragment_keeps_only_whole_fragments(demo_call: CallMedia) -> None:
    data = demo_call.stream
    cut = len(demo_call.fragments[0].data) + len(demo_call.fragments[1].data) // 2
    reader = FragmentReader()
    complete = reader.feed(data[:cut])
    tail, truncated = reader.close()
    # The first fragment was released when the second began; the half fragment is not released
    assert [f.number for f in complete + tail] == [demo_call.fragments[0].number]
    assert truncated is True


def test_a_stream_cut_between_elements_before_the_trailing_tags_is_not_whole(demo_call: CallMedia) -> None:
    # Given a connection that drops right after the cluster of the last fragment (ContactId not sent)
    last = demo_call.fragments[-1].data
    before_tags = last.index(b"ContactId") - 12
    before_tags = last.rfind(element(ebml.TAGS, b"")[:4], 0, last.index(b"ContactId"))
    reader = FragmentReader()
    released = reader.feed(b"".join(f.data for f in demo_call.fragments[:-1]) + last[:before_tags])
    tail, truncated = reader.close()
    # Then that fragment counts as unread, so a continuation reads it again
    assert len(released) == len(demo_call.fragments) - 1
    assert (tail, truncated) == ([], True)


def test_bytes_fed_are_counted(demo_call: CallMedia) -> None:
    reader = FragmentReader()
    reader.feed(demo_call.stream[:1000])
    assert reader.bytes_read == 1000


# ---------------------------------------------------------------------------- Connect specifics
def _fragment(
    contact_id: str = "c-1",
    number: str = "1",
    blocks: Iterable[bytes] = (),
    *,
    track_names: tuple[str, str] = ("AUDIO_FROM_CUSTOMER", "AUDIO_TO_CUSTOMER"),
    codec: bytes = b"A_AAC",
    extra_tags: Iterable[tuple[str, str]] = (),
    mime: str = "audio/L16;rate=8000;channels=1;",
) -> bytes:
    entries = b"".join(
        element(
            ebml.TRACK_ENTRY,
            element(ebml.TRACK_NUMBER, bytes([index + 1]))
            + element(ebml.TRACK_NAME, name.encode())
            + element(ebml.CODEC_ID, codec)
            + element(ebml.AUDIO, element(ebml.SAMPLING_FREQUENCY, struct.pack(">d", 8000.0))),
        )
        for index, name in enumerate(track_names)
        if name
    )
    cluster = element(ebml.TIMECODE, b"\x01") + b"".join(element(ebml.SIMPLE_BLOCK, b) for b in blocks)
    body = (
        element(ebml.INFO, element(ebml.TIMECODE_SCALE, (1_000_000).to_bytes(3, "big")))
        + element(ebml.TRACKS, entries)
        + tags([("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number), ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", "1.5")])
        + element(ebml.CLUSTER, cluster, unknown_size=True)
        + tags([("ContactId", contact_id), ("MimeType", mime), *extra_tags])
    )
    return element(ebml.EBML, element(0x4282, b"matroska")) + element(ebml.SEGMENT, body, unknown_size=True)


def block(track: int, pcm: bytes, flags: int = 0x80, lace: bytes = b"") -> bytes:
    return bytes([0x80 | track]) + b"\x00\x00" + bytes([flags]) + lace + pcm


def test_tracks_are_found_by_name_legacy_name_or_track_number_tags() -> None:
    legacy = _fragment(blocks=[block(1, b"\x01\x00")], track_names=("Track_audio/L16", ""))
    (fragment,) = read_fragments([legacy])
    assert (fragment.customer, fragment.agent) == (b"\x01\x00", b"")
    unnamed = _fragment(
        blocks=[block(1, b"\x01\x00"), block(2, b"\x02\x00")],
        track_names=("mic", "speaker"),
        extra_tags=[("AUDIO_FROM_CUSTOMER", "2"), ("AUDIO_TO_CUSTOMER", "1")],
    )
    (fragment,) = read_fragments([unnamed])
    assert (fragment.customer, fragment.agent) == (b"\x02\x00", b"\x01\x00")


def test_big_endian_pcm_tracks_are_converted_and_the_rate_falls_back_to_the_track() -> None:
    data = _fragment(blocks=[block(1, b"\x01\x02\x03")], codec=b"A_PCM/INT/BIG", mime="")
    (fragment,) = read_fragments([data])
    assert fragment.customer == b"\x02\x01"  # swapped, odd trailing byte dropped
    assert fragment.sample_rate == 8000
    assert fragment.producer_timestamp_ms == 1500


@pytest.mark.parametrize(
    ("flags", "lace", "frames"),
    [
        (0x80 | 0x02, b"\x01" + b"\x04", [b"\x01\x00\x02\x00", b"\x03\x00"]),  # Xiph
        (0x80 | 0x06, b"\x01" + b"\x84", [b"\x01\x00\x02\x00", b"\x03\x00"]),  # EBML
        (0x80 | 0x04, b"\x02", [b"\x01\x00", b"\x02\x00", b"\x03\x00"]),  # fixed size
    ],
)
def test_laced_blocks_give_their_frames_in_order(flags: int, lace: bytes, frames: list[bytes]) -> None:
    pcm = b"\x01\x00\x02\x00\x03\x00"
    (fragment,) = read_fragments([_fragment(blocks=[block(1, pcm, flags, lace)])])
    assert fragment.customer == b"".join(frames) == pcm


def test_ebml_lacing_with_signed_size_differences() -> None:
    # three frames of 4, 2 and 2 bytes: the first size (4), then the difference -2 (0xBD: 61 - 63)
    payload = block(1, b"\x01\x00\x02\x00" + b"\x03\x00" + b"\x04\x00", 0x80 | 0x06, b"\x02\x84\xbd")
    parsed = ebml.parse_block(payload)
    assert parsed.frames == [b"\x01\x00\x02\x00", b"\x03\x00", b"\x04\x00"]


@pytest.mark.parametrize(
    "payload",
    [
        b"\x81\x00",
        block(1, b"", 0x82),
        block(1, b"\x00", 0x86, b"\x01"),
        block(1, b"\x00\x00\x00", 0x84, b"\x01"),
    ],
)
def test_malformed_blocks_are_refused(payload: bytes) -> None:
    with pytest.raises(ebml.EbmlError):
        ebml.parse_block(payload)


def test_xiph_lace_sizes_past_the_end_are_refused() -> None:
    with pytest.raises(ebml.EbmlError):
        ebml.parse_block(block(1, b"", 0x82, b"\x01\xff\xff"))


def test_kvs_error_tags_raise_with_the_error_code() -> None:
    data = _fragment(
        blocks=[],
        extra_tags=[
            ("AWS_KINESISVIDEO_ERROR_CODE", "Requested fragment is not found"),
            ("AWS_KINESISVIDEO_ERROR_ID", "4000"),
        ],
    )
    with pytest.raises(KvsStreamError) as raised:
        list(read_fragments([data]))
    assert raised.value.fragment_not_found
    assert raised.value.fragment_number == "1"


def test_a_closing_chunk_without_audio_is_not_a_fragment() -> None:
    closing = element(ebml.EBML, b"") + element(
        ebml.SEGMENT, tags([("AWS_KINESISVIDEO_CONTINUATION_TOKEN", "9")]), unknown_size=True
    )
    assert list(read_fragments([_fragment(blocks=[block(1, b"\x01\x00")]) + closing])) != []
    assert list(read_fragments([closing])) == []


def test_interleave_pads_the_shorter_track_with_silence() -> None:
    assert interleave(b"\x01\x00\x02\x00", b"\x03\x00") == b"\x01\x00\x03\x00\x02\x00\x00\x00"


# ---------------------------------------------------------------------------- EBML edge cases
def test_unknown_ids_are_skipped_inside_unknown_size_clusters() -> None:
    # An id the schema does not know (0x4FFF) inside a live cluster belongs to it and is skipped
    data = _fragment(blocks=[block(1, b"\x01\x00")])
    marker = element(ebml.TIMECODE, b"\x01")
    data = data.replace(marker, marker + element(0x4FFF, b"xyz") + element(ebml.VOID, b"\x00" * 5), 1)
    (fragment,) = read_fragments([data])
    assert fragment.customer == b"\x01\x00"


def test_variable_size_integers() -> None:
    assert ebml.read_vint(b"\x81", 0, keep_marker=False) == (1, 1)
    assert ebml.read_vint(b"\x40\x02", 0, keep_marker=False) == (2, 2)
    assert ebml.read_vint(b"\xff", 0, keep_marker=False) == (ebml.UNKNOWN_SIZE, 1)
    assert ebml.read_vint(b"\x1a\x45\xdf\xa3", 0, keep_marker=True) == (ebml.EBML, 4)
    assert ebml.read_vint(b"\x1a\x45", 0, keep_marker=True) is None
    assert ebml.read_vint(b"", 0, keep_marker=True) is None
    with pytest.raises(ebml.EbmlError):
        ebml.read_vint(b"\x00\x01", 0, keep_marker=False)
    assert encode_size(126) == b"\xfe"
    assert encode_size(127) == b"\x40\x7f"  # all ones would mean "unknown"


UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"
LIVE_SEGMENT = ebml.SEGMENT.to_bytes(4, "big") + UNKNOWN
LIVE_CLUSTER = LIVE_SEGMENT + ebml.CLUSTER.to_bytes(4, "big") + UNKNOWN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (element(ebml.CLUSTER, b""), "top level"),
        (LIVE_CLUSTER + b"\xa3" + UNKNOWN, "not a master"),
        (LIVE_CLUSTER + b"\xa3" + encode_size(ebml.MAX_LEAF_BYTES + 1), "larger"),
    ],
    ids=["cluster at top level", "leaf of unknown size", "implausible leaf"],
)
def test_malformed_streams_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ebml.EbmlError, match=message):
        ebml.EbmlReader().feed(data)


def test_element_overrunning_its_parent_is_refused() -> None:
    inner = element(ebml.TIMECODE, b"\x01\x02\x03")
    parent = ebml.CLUSTER.to_bytes(4, "big") + encode_size(len(inner) - 1) + inner
    with pytest.raises(ebml.EbmlError, match="overruns"):
        ebml.EbmlReader().feed(element(ebml.SEGMENT, parent, unknown_size=True))


def test_values_and_floats() -> None:
    assert ebml.unsigned(b"") == 0
    assert ebml.float_value(struct.pack(">f", 8000.0)) == 8000.0
    assert ebml.float_value(b"") == 0.0
    with pytest.raises(ebml.EbmlError):
        ebml.float_value(b"\x00\x00")
    assert ebml.text(b"ab\x00\x00") == "ab"


def test_skipped_payloads_are_not_buffered() -> None:
    # A 1 MB element nobody reads (CodecPrivate) costs no memory while it streams past
    big = element(ebml.TRACKS, element(ebml.TRACK_ENTRY, element(0x63A2, b"\x00" * 1_000_000)))
    reader = ebml.EbmlReader()
    reader.feed(
        element(ebml.EBML, b"") + ebml.SEGMENT.to_bytes(4, "big") + b"\x01\xff\xff\xff\xff\xff\xff\xff"
    )
    for start in range(0, len(big), 65536):
        reader.feed(big[start : start + 65536])
        assert len(reader._buffer) < 140_000
    events, truncated = reader.close()
    assert not truncated
    assert [type(e).__name__ for e in events][-1] == "End"


def test_a_second_call_of_one_stream_is_a_different_contact(tmp_path: object, demo_call: CallMedia) -> None:
    # Connect reuses streams: fragments after this call belong to another contact
    other = [
        f.data.replace(demo_call.script.contact_id.encode(), b"11111111-2222-4333-8444-555555555555")
        for f in demo_call.fragments[:2]
    ]
    fragments = list(read_fragments([demo_call.stream + b"".join(other)]))
    assert [f.contact_id for f in fragments[-3:]] == [
        demo_call.script.contact_id,
        "11111111-2222-4333-8444-555555555555",
        "11111111-2222-4333-8444-555555555555",
    ]


def test_build_call_writes_into_a_given_directory(tmp_path: object) -> None:
    from pathlib import Path

    from connect_zendesk_local.kvs_fixtures import CallScript, Utterance
    from support import require_media_tools

    require_media_tools()
    script = CallScript("c-9", (Utterance("CUSTOMER", "Hello.", 100),), tail_ms=200)
    call = build_call(script, Path(str(tmp_path)) / "call")
    assert (Path(str(tmp_path)) / "call" / "call.mkv").exists()
    assert CallScript.from_json(script.to_json()) == script
    assert call.audio.duration_ms >= 300
    assert call.audio.spans[0][1] == 800  # 100 ms at 8 kHz
