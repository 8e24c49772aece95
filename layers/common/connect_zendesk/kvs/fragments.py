"""Connect's KVS fragments: the Matroska stream of one contact's call, fragment by fragment.

What Amazon Connect writes (and GetMedia returns) per fragment: an EBML header and a Segment holding
Info, Tracks (AUDIO_FROM_CUSTOMER, AUDIO_TO_CUSTOMER; CodecID says A_AAC although the blocks are
16-bit little-endian PCM, see the MimeType tag), a Tags element with AWS_KINESISVIDEO_FRAGMENT_NUMBER
and the server/producer timestamps, one Cluster of SimpleBlocks, then Tags with ContactId,
InstanceId, MimeType and AWS_KINESISVIDEO_MILLIS_BEHIND_NOW. The contact id comes after the audio,
so a fragment is released only once it is complete: when the next one begins or the stream ends.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

from connect_zendesk.kvs import ebml
from connect_zendesk.kvs.audio import interleave

CUSTOMER_TRACK: Final = "AUDIO_FROM_CUSTOMER"
AGENT_TRACK: Final = "AUDIO_TO_CUSTOMER"
LEGACY_CUSTOMER_TRACK: Final = "Track_audio/L16"  # streams from before Connect named both tracks
DEFAULT_SAMPLE_RATE: Final = 8000

FRAGMENT_NUMBER_TAG: Final = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
PRODUCER_TIMESTAMP_TAG: Final = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
SERVER_TIMESTAMP_TAG: Final = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
ERROR_CODE_TAG: Final = "AWS_KINESISVIDEO_ERROR_CODE"
ERROR_ID_TAG: Final = "AWS_KINESISVIDEO_ERROR_ID"
CONTACT_ID_TAG: Final = "ContactId"
MIME_TYPE_TAG: Final = "MimeType"

_RATE = re.compile(r"rate=(\d+)")


class KvsStreamError(RuntimeError):
    """GetMedia reported an error inside the stream (AWS_KINESISVIDEO_ERROR_* tags)."""

    def __init__(self, code: str, error_id: str, fragment_number: str) -> None:
        super().__init__(f"KVS stream error {error_id or '?'} {code or ''}".strip())
        self.code = code
        self.error_id = error_id
        self.fragment_number = fragment_number

    @property
    def fragment_not_found(self) -> bool:
        return self.error_id == "4000"


@dataclass(frozen=True)
class MediaFragment:
    """One complete fragment: its identity and the PCM of each Connect track (16-bit LE mono)."""

    number: str
    contact_id: str
    producer_timestamp_ms: int | None
    server_timestamp_ms: int | None
    sample_rate: int
    customer: bytes
    agent: bytes
    tags: dict[str, str] = field(default_factory=dict)
    # When each track's first sample plays (epoch ms, from the cluster and block timecodes); None if unknown
    customer_start_ms: float | None = None
    agent_start_ms: float | None = None

    @property
    def samples(self) -> int:
        """Length of the fragment in samples: the longer track (the other is padded with silence)."""
        return max(len(self.customer), len(self.agent)) // 2

    @property
    def duration_ms(self) -> float:
        return self.samples * 1000 / self.sample_rate

    def stereo(self) -> bytes:
        """Customer on channel 0 (left), agent on channel 1, interleaved; the shorter track padded."""
        return interleave(self.customer, self.agent)


@dataclass
class _Track:
    number: int = 0
    name: str = ""
    codec: str = ""
    sample_rate: int = 0


@dataclass
class _Fragment:
    tags: dict[str, str] = field(default_factory=dict)
    tracks: dict[int, _Track] = field(default_factory=dict)
    audio: dict[int, bytearray] = field(default_factory=dict)
    starts: dict[int, float] = field(default_factory=dict)  # track -> first block's time (ms)
    timecode_scale_ns: int = 1_000_000
    cluster_timecode: int | None = None
    has_audio: bool = False
    trailing_tags: bool = False  # a tag arrived after the audio (Connect's ContactId, MimeType, ...)


class FragmentReader:
    """Feeds on GetMedia bytes and returns the fragments completed so far, in order."""

    def __init__(self) -> None:
        self._reader = ebml.EbmlReader()
        self._fragment: _Fragment | None = None
        self._track: _Track | None = None
        self._tag_name: str | None = None
        self.fragments_read = 0

    @property
    def bytes_read(self) -> int:
        return self._reader.bytes_read

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[MediaFragment]:
        return self._handle(self._reader.feed(chunk))

    def close(self) -> tuple[list[MediaFragment], bool]:
        """End of stream: the last fragment if it was whole; True when the stream was cut mid-element."""
        events, truncated = self._reader.close()
        fragment = self._fragment
        # A live (unknown-size) fragment is whole only once the tags after its audio have arrived;
        # one cut short is not released, so a continuation reads it again in full.
        if truncated or (fragment is not None and fragment.has_audio and not fragment.trailing_tags):
            self._fragment = None
            return [], True
        return self._handle(events), False

    def _handle(self, events: Iterable[ebml.Event]) -> list[MediaFragment]:
        done: list[MediaFragment] = []
        for event in events:
            if isinstance(event, ebml.Leaf):
                self._leaf(event)
            elif isinstance(event, ebml.Start):
                if event.id == ebml.SEGMENT:
                    self._fragment = _Fragment()
                elif event.id == ebml.TRACK_ENTRY:
                    self._track = _Track()
                elif event.id == ebml.SIMPLE_TAG:
                    self._tag_name = None
            elif event.id == ebml.SEGMENT:
                fragment = self._finish()
                if fragment is not None:
                    done.append(fragment)
            elif event.id == ebml.TRACK_ENTRY and self._track is not None and self._fragment is not None:
                self._fragment.tracks[self._track.number] = self._track
                self._track = None
        return done

    def _leaf(self, leaf: ebml.Leaf) -> None:
        fragment = self._fragment
        if fragment is None:
            return  # EBML header fields
        element_id = leaf.id
        if element_id in (ebml.SIMPLE_BLOCK, ebml.BLOCK):
            block = ebml.parse_block(leaf.payload)
            if block.track not in fragment.starts and fragment.cluster_timecode is not None:
                units = fragment.cluster_timecode + block.timecode
                fragment.starts[block.track] = units * fragment.timecode_scale_ns / 1_000_000
            target = fragment.audio.setdefault(block.track, bytearray())
            for frame in block.frames:
                target += frame
            fragment.has_audio = True
        elif element_id == ebml.TIMECODE:
            fragment.cluster_timecode = ebml.unsigned(leaf.payload)
        elif element_id == ebml.TIMECODE_SCALE:
            fragment.timecode_scale_ns = ebml.unsigned(leaf.payload) or 1_000_000
        elif element_id == ebml.TAG_NAME:
            self._tag_name = ebml.text(leaf.payload)
        elif element_id == ebml.TAG_STRING and self._tag_name is not None:
            fragment.tags[self._tag_name] = ebml.text(leaf.payload)
            fragment.trailing_tags = fragment.has_audio
        elif self._track is not None:
            _track_leaf(self._track, leaf)

    def _finish(self) -> MediaFragment | None:
        fragment, self._fragment = self._fragment, None
        if fragment is None:
            return None
        tags = fragment.tags
        number = tags.get(FRAGMENT_NUMBER_TAG, "")
        if ERROR_CODE_TAG in tags or ERROR_ID_TAG in tags:
            raise KvsStreamError(tags.get(ERROR_CODE_TAG, ""), tags.get(ERROR_ID_TAG, ""), number)
        if not fragment.has_audio:
            return None  # e.g. GetMedia's closing chunk that only carries a continuation token
        customer_track, agent_track = _track_numbers(fragment)
        self.fragments_read += 1
        return MediaFragment(
            number=number,
            contact_id=tags.get(CONTACT_ID_TAG, ""),
            producer_timestamp_ms=_epoch_ms(tags.get(PRODUCER_TIMESTAMP_TAG)),
            server_timestamp_ms=_epoch_ms(tags.get(SERVER_TIMESTAMP_TAG)),
            sample_rate=_sample_rate(fragment, customer_track),
            customer=_pcm(fragment, customer_track),
            agent=_pcm(fragment, agent_track),
            tags=dict(tags),
            customer_start_ms=fragment.starts.get(customer_track) if customer_track is not None else None,
            agent_start_ms=fragment.starts.get(agent_track) if agent_track is not None else None,
        )


def _track_leaf(track: _Track, leaf: ebml.Leaf) -> None:
    if leaf.id == ebml.TRACK_NUMBER:
        track.number = ebml.unsigned(leaf.payload)
    elif leaf.id == ebml.TRACK_NAME:
        track.name = ebml.text(leaf.payload)
    elif leaf.id == ebml.CODEC_ID:
        track.codec = ebml.text(leaf.payload)
    elif leaf.id == ebml.SAMPLING_FREQUENCY:
        track.sample_rate = round(ebml.float_value(leaf.payload))


def _track_numbers(fragment: _Fragment) -> tuple[int | None, int | None]:
    by_name = {track.name: number for number, track in fragment.tracks.items()}
    customer = by_name.get(CUSTOMER_TRACK, by_name.get(LEGACY_CUSTOMER_TRACK))
    agent = by_name.get(AGENT_TRACK)
    # Connect also tags each track's number (AUDIO_FROM_CUSTOMER = "1"): used when names are missing.
    if customer is None and fragment.tags.get(CUSTOMER_TRACK, "").isdigit():
        customer = int(fragment.tags[CUSTOMER_TRACK])
    if agent is None and fragment.tags.get(AGENT_TRACK, "").isdigit():
        agent = int(fragment.tags[AGENT_TRACK])
    return customer, agent


def _pcm(fragment: _Fragment, track_number: int | None) -> bytes:
    if track_number is None:
        return b""
    data = bytes(fragment.audio.get(track_number, b""))
    track = fragment.tracks.get(track_number)
    if track is not None and track.codec == "A_PCM/INT/BIG":
        samples = array("h", data[: len(data) // 2 * 2])
        samples.byteswap()
        return samples.tobytes()
    return data[: len(data) // 2 * 2]


def _sample_rate(fragment: _Fragment, track_number: int | None) -> int:
    match = _RATE.search(fragment.tags.get(MIME_TYPE_TAG, ""))
    if match:
        return int(match.group(1))
    track = fragment.tracks.get(track_number) if track_number is not None else None
    return track.sample_rate if track is not None and track.sample_rate > 0 else DEFAULT_SAMPLE_RATE


def _epoch_ms(value: str | None) -> int | None:
    """KVS timestamps are epoch seconds with a fraction ("1726677688.724")."""
    if not value:
        return None
    try:
        return int(Decimal(value) * 1000)
    except (InvalidOperation, ValueError):
        return None


def fragment_key(number: str) -> int:
    """Fragment numbers are decimal strings that grow along a stream; compare them as integers."""
    return int(number) if number.isdigit() else -1


def read_fragments(chunks: Iterable[bytes]) -> Iterator[MediaFragment]:
    """All whole fragments of a byte stream (tests, the local media server, benchmarks)."""
    reader = FragmentReader()
    for chunk in chunks:
        yield from reader.feed(chunk)
    tail, _ = reader.close()
    yield from tail
