"""Real call media for the KVS path, made on this machine: espeak-ng speaks, ffmpeg muxes.

A call is a script of utterances (who speaks what, when). espeak-ng synthesises each line, ffmpeg
resamples it to Connect's format (8 kHz, 16-bit signed little-endian, mono) and muxes the two tracks
into Matroska with one cluster per second, with the track names Connect uses. The Matroska file is
then laid out the way Amazon Connect writes (and GetMedia returns) a stream: one EBML header and
Segment per fragment, Info and Tracks repeated in each, a Tags element with the
AWS_KINESISVIDEO_FRAGMENT_NUMBER and timestamps before the Cluster, and the ContactId, InstanceId
and MimeType tags after it. Segments and Clusters get unknown sizes, as in a live stream.

Used by the tests, the local KVS media server, `make demo` and the benchmarks. The Debian packages
`espeak-ng` and `ffmpeg` are needed; `missing_media_tools()` says which are absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

from connect_zendesk.kvs import ebml

SAMPLE_RATE: Final = 8000
BYTES_PER_SECOND: Final = SAMPLE_RATE * 2
FIRST_FRAGMENT_NUMBER: Final = 91343852333181432392682062622220590765191907586
FRAGMENT_NUMBER_STEP: Final = 4294967296  # real numbers grow by large, irregular steps
VOICES: Final = {"CUSTOMER": "en-us", "AGENT": "en-gb"}
_UNKNOWN_SIZE: Final = b"\x01\xff\xff\xff\xff\xff\xff\xff"
_TOOL_TIMEOUT: Final = 60


def missing_media_tools() -> list[str]:
    return [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]


@dataclass(frozen=True)
class Utterance:
    speaker: str  # CUSTOMER or AGENT
    text: str
    at_ms: int  # when it starts, from the start of the call


@dataclass(frozen=True)
class CallScript:
    contact_id: str
    utterances: tuple[Utterance, ...]
    tail_ms: int = 1500  # silence after the last utterance
    language: str = "en-US"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> CallScript:
        data = json.loads(text)
        return cls(
            contact_id=data["contact_id"],
            utterances=tuple(Utterance(**item) for item in data["utterances"]),
            tail_ms=int(data.get("tail_ms", 1500)),
            language=str(data.get("language", "en-US")),
        )


@dataclass(frozen=True)
class CallAudio:
    """The two tracks as Connect sends them, and where each utterance landed (in samples)."""

    customer: bytes
    agent: bytes
    spans: tuple[tuple[Utterance, int, int], ...] = field(default=())

    @property
    def duration_ms(self) -> int:
        return max(len(self.customer), len(self.agent)) * 1000 // BYTES_PER_SECOND


# ---------------------------------------------------------------------------- synthesis
def synthesize(script: CallScript, workdir: Path) -> CallAudio:
    """Speak every line with espeak-ng and lay the lines out on the two tracks at their times."""
    tracks = {"CUSTOMER": bytearray(), "AGENT": bytearray()}
    spans: list[tuple[Utterance, int, int]] = []
    for index, utterance in enumerate(script.utterances):
        pcm = _speak(utterance, workdir / f"line{index}")
        track = tracks[utterance.speaker]
        start = utterance.at_ms * BYTES_PER_SECOND // 1000 // 2 * 2
        if len(track) < start:
            track += bytes(start - len(track))
        end = start + len(pcm)
        if len(track) < end:
            track += bytes(end - len(track))
        track[start:end] = pcm  # later lines overwrite overlaps: scripts should not overlap per speaker
        spans.append((utterance, start // 2, end // 2))
    length = max(len(track) for track in tracks.values()) + script.tail_ms * BYTES_PER_SECOND // 1000 // 2 * 2
    for padded in tracks.values():
        padded.extend(bytes(length - len(padded)))
    return CallAudio(bytes(tracks["CUSTOMER"]), bytes(tracks["AGENT"]), tuple(spans))


def _speak(utterance: Utterance, stem: Path) -> bytes:
    wav = stem.with_suffix(".wav")
    raw = stem.with_suffix(".raw")
    voice = VOICES.get(utterance.speaker, "en-us")
    _run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(wav), utterance.text])
    _run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
            "-ar", str(SAMPLE_RATE), "-ac", "1", "-f", "s16le", "-acodec", "pcm_s16le", str(raw),
        ]
    )  # fmt: skip
    return raw.read_bytes()


def mux(audio: CallAudio, workdir: Path, cluster_ms: int = 1000) -> bytes:
    """ffmpeg's Matroska of the two tracks (PCM, named as Connect names them), one cluster per second."""
    customer = workdir / "customer.raw"
    agent = workdir / "agent.raw"
    customer.write_bytes(audio.customer)
    agent.write_bytes(audio.agent)
    output = workdir / "call.mkv"
    pcm_input = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1"]
    _run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            *pcm_input, "-i", str(customer), *pcm_input, "-i", str(agent),
            "-map", "0:a", "-map", "1:a", "-c:a", "pcm_s16le", "-fflags", "+bitexact",
            "-cluster_time_limit", str(cluster_ms),
            "-metadata:s:a:0", "title=AUDIO_FROM_CUSTOMER", "-metadata:s:a:1", "title=AUDIO_TO_CUSTOMER",
            str(output),
        ]
    )  # fmt: skip
    return output.read_bytes()


def _run(command: Sequence[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=_TOOL_TIMEOUT)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{command[0]} failed: {exc.stderr.decode(errors='replace')[-500:]}") from None


# ---------------------------------------------------------------------------- Connect's layout
@dataclass(frozen=True)
class Element:
    id: int
    payload: bytes  # raw payload (children encoded) as ffmpeg wrote it


def elements(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Element]:
    """Top-down reading of a file with sizes (ffmpeg's output to a file); unknown sizes run to `end`."""
    end = len(data) if end is None else end
    position = start
    while position < end:
        element_id = ebml.read_vint(data, position, keep_marker=True)
        size = ebml.read_vint(data, position + element_id[1], keep_marker=False) if element_id else None
        if element_id is None or size is None:
            raise ValueError(f"truncated element at {position}")
        body = position + element_id[1] + size[1]
        length = end - body if size[0] == ebml.UNKNOWN_SIZE else size[0]
        yield Element(element_id[0], data[body : body + length])
        position = body + length


def encode_id(element_id: int) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")


def encode_size(size: int) -> bytes:
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | size).to_bytes(length, "big")
    raise ValueError(f"size {size} too large for EBML")


def element(element_id: int, payload: bytes, *, unknown_size: bool = False) -> bytes:
    return encode_id(element_id) + (_UNKNOWN_SIZE if unknown_size else encode_size(len(payload))) + payload


def tags(pairs: Iterable[tuple[str, str]]) -> bytes:
    simple_tags = b"".join(
        element(
            ebml.SIMPLE_TAG,
            element(ebml.TAG_NAME, name.encode()) + element(ebml.TAG_STRING, value.encode()),
        )
        for name, value in pairs
    )
    return element(ebml.TAGS, element(ebml.TAG, simple_tags))


@dataclass(frozen=True)
class StreamFragment:
    number: str
    contact_id: str
    data: bytes


def connect_fragments(
    mkv: bytes,
    contact_id: str,
    *,
    first_number: int = FIRST_FRAGMENT_NUMBER,
    producer_start_ms: int = 1_726_677_688_724,
    unknown_sizes: bool = True,
    instance_id: str = "d5b716a2-10bb-45cb-bf7f-01a9864be591",
) -> list[StreamFragment]:
    """One Connect-shaped fragment per cluster of ffmpeg's Matroska file."""
    top = list(elements(mkv))
    header = next(e for e in top if e.id == ebml.EBML)
    segment = next(e for e in top if e.id == ebml.SEGMENT)
    children = list(elements(segment.payload))
    info = next(e for e in children if e.id == ebml.INFO)
    tracks = next(e for e in children if e.id == ebml.TRACKS)
    clusters = [e for e in children if e.id == ebml.CLUSTER]
    connect_tracks = _as_connect_tracks(tracks)
    fragments: list[StreamFragment] = []
    for index, cluster in enumerate(clusters):
        cluster_children = list(elements(cluster.payload))
        relative_ms = next(ebml.unsigned(e.payload) for e in cluster_children if e.id == ebml.TIMECODE)
        producer_ms = producer_start_ms + relative_ms
        number = str(first_number + index * FRAGMENT_NUMBER_STEP)
        cluster_body = element(ebml.TIMECODE, producer_ms.to_bytes(6, "big")) + element(0xA7, b"\x00")
        cluster_body += b"".join(
            element(e.id, e.payload) for e in cluster_children if e.id == ebml.SIMPLE_BLOCK
        )
        seconds = f"{producer_ms // 1000}.{producer_ms % 1000:03d}"
        server_ms = producer_ms + 1034
        body = b"".join(
            [
                element(ebml.INFO, info.payload),
                connect_tracks,
                tags(
                    [
                        ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number),
                        ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", f"{server_ms // 1000}.{server_ms % 1000:03d}"),
                        ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", seconds),
                    ]
                ),
                element(ebml.CLUSTER, cluster_body, unknown_size=unknown_sizes),
                tags([("ContactId", contact_id)]),
                tags([("InstanceId", instance_id)]),
                tags([("MimeType", "audio/L16;rate=8000;channels=1;")]),
                tags([("AUDIO_FROM_CUSTOMER", "1")]),
                tags([("AUDIO_TO_CUSTOMER", "2")]),
                tags([("Events", "[]")]),
                tags(
                    [
                        ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "1204"),
                        ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number),
                    ]
                ),
            ]
        )
        data = element(ebml.EBML, header.payload) + element(ebml.SEGMENT, body, unknown_size=unknown_sizes)
        fragments.append(StreamFragment(number, contact_id, data))
    return fragments


def _as_connect_tracks(tracks: Element) -> bytes:
    """ffmpeg's track entries with Connect's quirk: CodecID A_AAC although the blocks are PCM."""
    entries = []
    for entry in elements(tracks.payload):
        fields = [
            element(ebml.CODEC_ID, b"A_AAC")
            if child.id == ebml.CODEC_ID
            else element(child.id, child.payload)
            for child in elements(entry.payload)
        ]
        entries.append(element(entry.id, b"".join(fields)))
    return element(ebml.TRACKS, b"".join(entries))


# ---------------------------------------------------------------------------- one call, end to end
@dataclass(frozen=True)
class CallMedia:
    script: CallScript
    audio: CallAudio
    fragments: tuple[StreamFragment, ...]

    @property
    def stream(self) -> bytes:
        return b"".join(fragment.data for fragment in self.fragments)


def build_call(
    script: CallScript,
    workdir: Path | None = None,
    *,
    first_number: int = FIRST_FRAGMENT_NUMBER,
    producer_start_ms: int = 1_726_677_688_724,
    unknown_sizes: bool = True,
) -> CallMedia:
    with tempfile.TemporaryDirectory(prefix="kvs-call-") as scratch:
        directory = workdir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        audio = synthesize(script, directory)
        mkv = mux(audio, directory)
    fragments = connect_fragments(
        mkv,
        script.contact_id,
        first_number=first_number,
        producer_start_ms=producer_start_ms,
        unknown_sizes=unknown_sizes,
    )
    return CallMedia(script, audio, tuple(fragments))


def cache_key(script: CallScript) -> str:
    return hashlib.sha256(script.to_json().encode()).hexdigest()[:16]


DEMO_SCRIPT: Final = CallScript(
    contact_id="5ca32fbd-8f92-46af-92a5-6b0f970f0efe",
    utterances=(
        Utterance("AGENT", "Thanks for calling Acme support, this is Sam.", 300),
        Utterance("CUSTOMER", "Hi, my printer went offline again this morning.", 3300),
        Utterance("AGENT", "I am sorry about that. Let me look at your ticket.", 7000),
        Utterance("CUSTOMER", "Thank you, that would be great.", 10500),
    ),
)
