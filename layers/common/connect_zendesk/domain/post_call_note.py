"""The internal note a call leaves on its Zendesk ticket: plain text an agent reads top to bottom.

Summary first (when, how long, queue, agent, outcome), then sentiment, key phrases, Contact Lens
categories and summary, the agent's notes, the recording link and the timestamped transcript. A
transcript that would make the note longer than the configured maximum goes into an attached text
file; the note keeps its opening lines. The last line carries the contact-id marker a retry looks
for before writing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connect_zendesk.domain.call_outcome import Outcome
from connect_zendesk.domain.call_record import ContactRecord
from connect_zendesk.domain.call_sentiment import SpeakerMood
from connect_zendesk.domain.call_text import CallText, bot_lines, transcript_lines
from connect_zendesk.domain.post_call_ports import NoteAttachment

EXCERPT_CHARS = 1_500
TOP_PHRASES = 8
CHANNEL_NAMES = {"VOICE": "Phone call", "CHAT": "Chat", "TASK": "Task", "EMAIL": "Email"}


def comment_marker(contact_id: str) -> str:
    return f"[connect-contact:{contact_id}]"


def connect_contact_link(access_url: str, contact_id: str) -> str:
    """The contact's page in the Amazon Connect admin website (sign-in and permissions required)."""
    if not access_url:
        return ""
    base = access_url.rstrip("/")
    if base.endswith(".awsapps.com"):  # instances created before the my.connect.aws domain
        base += "/connect"
    return f"{base}/contact-trace-records/details/{contact_id}"


@dataclass(frozen=True)
class CallSummary:
    contact_id: str
    channel: str
    initiation_method: str
    started_at: datetime | None
    ended_at: datetime | None
    queue_id: str
    agent_id: str
    outcome: Outcome
    contact: ContactRecord
    text: CallText
    customer: SpeakerMood
    agent: SpeakerMood
    recording_link: str = ""
    audio_line: str = ""
    previous_contact_id: str = ""

    @property
    def duration_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None or self.ended_at < self.started_at:
            return None
        return int((self.ended_at - self.started_at).total_seconds())

    @property
    def kind(self) -> str:
        return CHANNEL_NAMES.get(self.channel, "Contact")


@dataclass(frozen=True)
class RenderedNote:
    body: str
    attachment: NoteAttachment | None = None


def render_note(summary: CallSummary, max_chars: int) -> RenderedNote:
    head = _summary(summary) + _analysis(summary) + _agent_notes(summary) + _recording(summary)
    timeline = _timeline(summary)
    footer = [
        "",
        f"connect-zendesk post-call note · Amazon Connect contact {summary.contact_id} "
        f"{comment_marker(summary.contact_id)}",
    ]
    whole = "\n".join(head + timeline + footer)
    if len(whole) <= max_chars:
        return RenderedNote(whole)
    filename = f"transcript-{summary.contact_id}.txt"
    attachment = NoteAttachment(filename, "\n".join(timeline).strip().encode(), "text/plain; charset=utf-8")
    excerpt = _excerpt(timeline, filename)
    body = "\n".join(head + excerpt + footer)
    if len(body) > max_chars:  # even without the transcript: keep the top and the marker
        room = max_chars - len("\n".join(footer)) - len("\n… (note shortened)")
        body = "\n".join(head + excerpt)[: max(room, 0)] + "\n… (note shortened)" + "\n".join(footer)
    return RenderedNote(body, attachment)


def _summary(s: CallSummary) -> list[str]:
    direction = s.initiation_method.lower().replace("_", " ") if s.initiation_method else ""
    title = f"{s.kind}{f' ({direction})' if direction else ''}"
    duration = s.duration_seconds
    lines = [
        " · ".join(
            [title, _when(s.started_at if s.started_at else s.ended_at)]
            + ([_duration(duration)] if duration is not None else [])
        ),
        "",
        f"Started: {_when(s.started_at)}",
        f"Ended: {_when(s.ended_at)}",
        f"Duration: {_duration(s.duration_seconds)}",
        f"Queue: {s.queue_id or 'none'}",
        f"Agent: {s.agent_id or 'none'}",
        f"Outcome: {s.outcome.label}",
    ]
    if s.contact.fulfilled_intents:
        lines.append(f"Self-service completed: {', '.join(s.contact.fulfilled_intents)}")
    if s.contact.handoff is not None:
        lines.append(f"Bot handed over to an agent: {s.contact.handoff.reason or 'reason not given'}")
    if s.previous_contact_id and s.previous_contact_id != s.contact_id:
        lines.append(f"Transferred from contact {s.previous_contact_id}")
    return lines


def _analysis(s: CallSummary) -> list[str]:
    lines = ["", "Sentiment"]
    lines.append(f"- Customer: {_mood(s.customer)}")
    lines.append(f"- Agent: {_mood(s.agent)}")
    phrases = sorted(s.contact.key_phrases, key=lambda p: (-(p.score or 0.0) * p.count, p.text))[:TOP_PHRASES]
    if phrases:
        lines += ["", f"Key phrases: {', '.join(p.text for p in phrases)}"]
    if s.contact.categories:
        lines += ["", f"Contact Lens categories: {', '.join(s.contact.categories)}"]
    if s.contact.post_contact_summary:
        lines += ["", "Contact summary (Contact Lens):", s.contact.post_contact_summary]
    return lines


def _agent_notes(s: CallSummary) -> list[str]:
    if not s.contact.agent_notes:
        return []
    lines = ["", "Agent notes"]
    for note in s.contact.agent_notes:
        who = f"agent {note.agent_id}" if note.agent_id else "agent"
        lines.append(f"- {_when(note.at)} · {who}: {note.text}")
    return lines


def _recording(s: CallSummary) -> list[str]:
    lines = [""]
    if s.recording_link:
        lines.append(f"Recording and contact details: {s.recording_link} (Amazon Connect sign-in required)")
    else:
        lines.append(f"Recording and contact details: Amazon Connect, contact {s.contact_id}")
    if s.audio_line:
        lines.append(s.audio_line)
    # Pauses from the top bar (POST /recording): the recording has gaps, and the note says where.
    for pause in s.contact.recording_pauses:
        verb = "paused" if pause.action == "suspend" else "resumed"
        who = f" by agent {pause.agent_id}" if pause.agent_id else ""
        lines.append(f"Recording {verb} at {_when(pause.at)}{who}")
    return lines


def _timeline(s: CallSummary) -> list[str]:
    lines: list[str] = []
    bot = bot_lines(s.text, s.started_at)
    if bot and s.contact.handoff is None:
        lines += ["", "Self-service conversation", *bot]
    elif bot:
        lines += ["", "Self-service conversation: on this ticket since the handoff"]
    heading = {"redacted": "Transcript (PII redacted)", "withheld": "Transcript (withheld)"}.get(
        s.text.redaction, "Transcript"
    )
    transcript = transcript_lines(s.text)
    if transcript:
        lines += ["", heading, *transcript]
    else:
        lines += ["", f"{heading}: none recorded"]
    return lines


def _excerpt(timeline: Sequence[str], filename: str) -> list[str]:
    kept: list[str] = []
    used = 0
    for line in timeline:
        if used + len(line) > EXCERPT_CHARS and kept:
            break
        kept.append(line[:EXCERPT_CHARS])
        used += len(line) + 1
    rest = len([line for line in timeline if line]) - len([line for line in kept if line])
    return [*kept, f"… {rest} more line(s): the whole transcript is attached as {filename}"]


def _mood(mood: SpeakerMood) -> str:
    if not mood.known:
        return "not analysed"
    text = mood.label.lower()
    if mood.direction:
        text += f", {mood.direction}"
    if mood.trend:
        text += f" (trend {' '.join(f'{point:+.1f}' for point in mood.trend)})"
    return text


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(seconds, 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min {rest} s"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
