"""An incremental EBML reader with the Matroska elements a KVS audio stream uses.

`EbmlReader.feed(chunk)` accepts the stream cut at any byte and returns the events completed so far;
`close()` ends the stream. Elements of unknown size (a live Segment or Cluster) end where an element
that cannot be their child begins, as the Matroska specification defines; ids this schema does not
know are skipped as children of the element being read. Only the leaves the KVS path reads are
buffered; every other payload is skipped without being held in memory, so memory stays bounded by
the largest wanted leaf (an audio block), whatever the length of the call.

No PyPI parser fitted: ebmlite reads seekable files, not a live byte stream with unknown sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# ---------------------------------------------------------------------------- element ids
EBML: Final = 0x1A45DFA3
SEGMENT: Final = 0x18538067
SEEK_HEAD: Final = 0x114D9B74
INFO: Final = 0x1549A966
TIMECODE_SCALE: Final = 0x2AD7B1
TRACKS: Final = 0x1654AE6B
TRACK_ENTRY: Final = 0xAE
TRACK_NUMBER: Final = 0xD7
TRACK_NAME: Final = 0x536E
CODEC_ID: Final = 0x86
AUDIO: Final = 0xE1
SAMPLING_FREQUENCY: Final = 0xB5
CHANNELS: Final = 0x9F
BIT_DEPTH: Final = 0x6264
CLUSTER: Final = 0x1F43B675
TIMECODE: Final = 0xE7
SIMPLE_BLOCK: Final = 0xA3
BLOCK_GROUP: Final = 0xA0
BLOCK: Final = 0xA1
CUES: Final = 0x1C53BB6B
CHAPTERS: Final = 0x1043A770
ATTACHMENTS: Final = 0x1941A469
TAGS: Final = 0x1254C367
TAG: Final = 0x7373
TARGETS: Final = 0x63C0
SIMPLE_TAG: Final = 0x67C8
TAG_NAME: Final = 0x45A3
TAG_STRING: Final = 0x4487
VOID: Final = 0xEC
CRC32: Final = 0xBF

TOP: Final = 0  # the pseudo-parent of EBML headers and Segments

_CHILDREN: Final[dict[int, tuple[int, ...]]] = {
    TOP: (EBML, SEGMENT),
    EBML: (0x4286, 0x42F7, 0x42F2, 0x42F3, 0x4282, 0x4287, 0x4285),
    SEGMENT: (SEEK_HEAD, INFO, TRACKS, CLUSTER, CUES, TAGS, CHAPTERS, ATTACHMENTS),
    SEEK_HEAD: (0x4DBB,),
    INFO: (TIMECODE_SCALE, 0x4489, 0x73A4, 0x7BA9, 0x4D80, 0x5741, 0x4461),
    TRACKS: (TRACK_ENTRY,),
    TRACK_ENTRY: (
        TRACK_NUMBER,
        0x73C5,
        0x83,
        TRACK_NAME,
        CODEC_ID,
        0x63A2,
        0x22B59C,
        AUDIO,
        0x9C,
        0x23E383,
        0x56AA,
        0x56BB,
        0x88,
        0xB9,
        0x55AA,
    ),
    AUDIO: (SAMPLING_FREQUENCY, CHANNELS, BIT_DEPTH),
    CLUSTER: (TIMECODE, 0xA7, 0xAB, SIMPLE_BLOCK, BLOCK_GROUP, 0x5854, 0xAF),
    BLOCK_GROUP: (BLOCK, 0x9B, 0xFB, 0x75A1),
    CUES: (0xBB,),
    TAGS: (TAG,),
    TAG: (TARGETS, SIMPLE_TAG),
    SIMPLE_TAG: (TAG_NAME, TAG_STRING, 0x4485, 0x447A, 0x4484, SIMPLE_TAG),
}
_GLOBAL: Final = frozenset({VOID, CRC32})
_PARENTS: Final[dict[int, frozenset[int]]] = {}
for _parent, _children in _CHILDREN.items():
    for _child in _children:
        _PARENTS[_child] = _PARENTS.get(_child, frozenset()) | {_parent}

# Masters read element by element; any other master of known size is skipped whole.
_DESCEND: Final = frozenset(
    {SEGMENT, INFO, TRACKS, TRACK_ENTRY, AUDIO, CLUSTER, BLOCK_GROUP, TAGS, TAG, SIMPLE_TAG}
)
_MASTERS: Final = frozenset(_CHILDREN) - {TOP}
# Leaves whose payload the KVS path reads; every other leaf is skipped.
WANTED_LEAVES: Final = frozenset(
    {
        TIMECODE_SCALE,
        TRACK_NUMBER,
        TRACK_NAME,
        CODEC_ID,
        SAMPLING_FREQUENCY,
        CHANNELS,
        BIT_DEPTH,
        TIMECODE,
        SIMPLE_BLOCK,
        BLOCK,
        TAG_NAME,
        TAG_STRING,
    }
)

UNKNOWN_SIZE: Final = -1
MAX_LEAF_BYTES: Final = 8 * 1024 * 1024  # an audio block is a few KB; anything this big is corruption


class EbmlError(ValueError):
    """The bytes are not a well-formed EBML stream (or a leaf is implausibly large)."""


@dataclass(frozen=True, slots=True)
class Start:
    """A master element begins (`size` is UNKNOWN_SIZE for a live Segment or Cluster)."""

    id: int
    size: int


@dataclass(frozen=True, slots=True)
class End:
    id: int


@dataclass(frozen=True, slots=True)
class Leaf:
    id: int
    payload: bytes


Event = Start | End | Leaf


def read_vint(data: bytes | bytearray | memoryview, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length) of the variable-size integer at `pos`, or None if it is not all there yet.

    Element ids keep their length marker (0x1A45DFA3); sizes drop it, and a size whose value bits are
    all ones means "unknown".
    """
    if pos >= len(data):
        return None
    first = data[pos]
    if first == 0:
        raise EbmlError(f"invalid variable-size integer (first byte 0) at buffer offset {pos}")
    length = 9 - first.bit_length()
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for index in range(1, length):
        value = (value << 8) | data[pos + index]
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return UNKNOWN_SIZE, length
    return value, length


class EbmlReader:
    """Push parser: feed bytes as they arrive, get events in stream order."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0  # read position in _buffer
        self._offset = 0  # absolute stream offset of _buffer[0]
        self._skip = 0  # payload bytes still to drop
        # Open masters: (id, absolute end offset or None for unknown size)
        self._open: list[tuple[int, int | None]] = []
        self.bytes_read = 0

    @property
    def depth(self) -> int:
        return len(self._open)

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Event]:
        self._buffer += chunk
        self.bytes_read += len(chunk)
        events: list[Event] = []
        self._parse(events)
        if self._position:  # keep only what is not parsed yet (at most one element in progress)
            del self._buffer[: self._position]
            self._offset += self._position
            self._position = 0
        return events

    def close(self) -> tuple[list[Event], bool]:
        """End of stream: close open masters. The flag is True when the stream stopped mid-element."""
        events: list[Event] = []
        self._parse(events)
        here = self._offset + self._position
        truncated = self._skip > 0 or self._position < len(self._buffer)
        while self._open:
            element_id, end = self._open.pop()
            if end is not None and end != here:
                truncated = True
            events.append(End(element_id))
        return events, truncated

    # ------------------------------------------------------------------ internals
    def _parse(self, events: list[Event]) -> None:
        buffer = self._buffer
        while True:
            if self._skip:
                available = len(buffer) - self._position
                step = min(self._skip, available)
                self._position += step
                self._skip -= step
                if self._skip:
                    return
            here = self._offset + self._position
            self._close_finished(here, events)
            header = self._header(buffer, self._position)
            if header is None:
                return
            element_id, size, header_length = header
            self._close_unknown_sized(element_id, events)
            if element_id in _MASTERS and (element_id in _DESCEND or size == UNKNOWN_SIZE):
                self._position += header_length
                end = None if size == UNKNOWN_SIZE else here + header_length + size
                self._check_fits(element_id, end)
                self._open.append((element_id, end))
                events.append(Start(element_id, size))
                continue
            if size == UNKNOWN_SIZE:
                raise EbmlError(f"element 0x{element_id:X} has an unknown size but is not a master element")
            self._check_fits(element_id, here + header_length + size)
            if element_id in WANTED_LEAVES:
                if size > MAX_LEAF_BYTES:
                    raise EbmlError(
                        f"element 0x{element_id:X} of {size} bytes is larger than any audio block"
                    )
                start = self._position + header_length
                if start + size > len(buffer):
                    return
                events.append(Leaf(element_id, bytes(buffer[start : start + size])))
                self._position = start + size
            else:
                self._position += header_length
                self._skip = size

    @staticmethod
    def _header(buffer: bytearray, position: int) -> tuple[int, int, int] | None:
        element_id = read_vint(buffer, position, keep_marker=True)
        if element_id is None:
            return None
        size = read_vint(buffer, position + element_id[1], keep_marker=False)
        if size is None:
            return None
        return element_id[0], size[0], element_id[1] + size[1]

    def _close_finished(self, here: int, events: list[Event]) -> None:
        """End known-size masters whose last byte has been read."""
        while self._open:
            element_id, end = self._open[-1]
            if end is None or end > here:
                return
            if end != here:
                raise EbmlError(f"element 0x{element_id:X} overran its size (ends {end}, at {here})")
            self._open.pop()
            events.append(End(element_id))

    def _close_unknown_sized(self, element_id: int, events: list[Event]) -> None:
        """End unknown-size masters for which `element_id` cannot be a child."""
        parents = _PARENTS.get(element_id)
        if parents is None or element_id in _GLOBAL:
            return  # unknown ids and Void/CRC-32 belong to whatever element is open
        while self._open and self._open[-1][1] is None and self._open[-1][0] not in parents:
            events.append(End(self._open.pop()[0]))
        if not self._open and TOP not in parents:
            raise EbmlError(f"element 0x{element_id:X} found at the top level of the stream")

    def _check_fits(self, element_id: int, end: int | None) -> None:
        if end is None:
            return
        for parent_id, parent_end in reversed(self._open):
            if parent_end is not None:
                if end > parent_end:
                    raise EbmlError(f"element 0x{element_id:X} overruns its parent 0x{parent_id:X}")
                return


def unsigned(payload: bytes) -> int:
    return int.from_bytes(payload, "big") if payload else 0


def float_value(payload: bytes) -> float:
    import struct  # noqa: PLC0415 - rarely used

    if len(payload) == 4:
        return float(struct.unpack(">f", payload)[0])
    if len(payload) == 8:
        return float(struct.unpack(">d", payload)[0])
    if not payload:
        return 0.0
    raise EbmlError(f"float element of {len(payload)} bytes")


def text(payload: bytes) -> str:
    return payload.rstrip(b"\x00").decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Block:
    track: int
    timecode: int  # relative to the cluster's, in TimecodeScale units
    frames: list[bytes]


def parse_block(payload: bytes) -> Block:
    """A SimpleBlock or Block payload: track, relative timecode and its frames (lacing undone)."""
    track = read_vint(payload, 0, keep_marker=False)
    if track is None or len(payload) < track[1] + 3:
        raise EbmlError("block shorter than its header")
    number, length = track
    timecode = int.from_bytes(payload[length : length + 2], "big", signed=True)
    flags = payload[length + 2]
    body = length + 3
    lacing = (flags >> 1) & 0x03
    if lacing == 0:
        return Block(number, timecode, [payload[body:]])
    return Block(number, timecode, _laced_frames(payload, body, lacing))


def _laced_frames(payload: bytes, position: int, lacing: int) -> list[bytes]:
    if position >= len(payload):
        raise EbmlError("laced block without a frame count")
    count = payload[position] + 1
    position += 1
    if lacing == 1:
        sizes, position = _xiph_sizes(payload, position, count)
    elif lacing == 3:
        sizes, position = _ebml_sizes(payload, position, count)
    else:  # fixed-size lacing
        remaining = len(payload) - position
        if remaining % count:
            raise EbmlError("fixed-size lacing does not divide the block")
        sizes = [remaining // count] * (count - 1)
    last = len(payload) - position - sum(sizes)
    if last < 0 or any(size < 0 for size in sizes):
        raise EbmlError("lace sizes exceed the block")
    frames: list[bytes] = []
    for size in [*sizes, last]:
        frames.append(payload[position : position + size])
        position += size
    return frames


def _xiph_sizes(payload: bytes, position: int, count: int) -> tuple[list[int], int]:
    """Xiph lacing: each size but the last as a run of 255s and a final byte."""
    sizes: list[int] = []
    for _ in range(count - 1):
        size = 0
        while True:
            if position >= len(payload):
                raise EbmlError("truncated Xiph lace sizes")
            byte = payload[position]
            position += 1
            size += byte
            if byte != 255:
                break
        sizes.append(size)
    return sizes, position


def _ebml_sizes(payload: bytes, position: int, count: int) -> tuple[list[int], int]:
    """EBML lacing: the first size, then signed differences to the previous one."""
    first = read_vint(payload, position, keep_marker=False)
    if first is None:
        raise EbmlError("truncated EBML lace sizes")
    sizes = [first[0]]
    position += first[1]
    for _ in range(count - 2):
        delta = read_vint(payload, position, keep_marker=False)
        if delta is None:
            raise EbmlError("truncated EBML lace sizes")
        bias = (1 << (7 * delta[1] - 1)) - 1
        sizes.append(sizes[-1] + delta[0] - bias)
        position += delta[1]
    return sizes, position
