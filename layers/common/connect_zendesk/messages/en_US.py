"""English (US) messages."""

MESSAGES = {
    "and": "and",
    "ago.now": "just now",
    "ago.minutes.one": "a minute ago",
    "ago.minutes": "{count} minutes ago",
    "ago.hours.one": "an hour ago",
    "ago.hours": "{count} hours ago",
    "ago.days.one": "yesterday",
    "ago.days": "{count} days ago",
    "ago.months.one": "a month ago",
    "ago.months": "{count} months ago",
    "ago.years.one": "a year ago",
    "ago.years": "{count} years ago",
    "tickets.one": "I see ticket {ticket_id} about {subject}, updated {ago}.",
    "tickets.many": (
        "You have {count} open tickets. The most recent is ticket {ticket_id} about {subject}, updated {ago}."
    ),
    "tickets.none": "I don't see any open tickets for you.",
}
