"""Japanese messages."""

MESSAGES = {
    "and": "と",
    "ago.now": "数分前",
    "ago.minutes.one": "1分前",
    "ago.minutes": "{count}分前",
    "ago.hours.one": "1時間前",
    "ago.hours": "{count}時間前",
    "ago.days.one": "1日前",
    "ago.days": "{count}日前",
    "ago.months.one": "1か月前",
    "ago.months": "{count}か月前",
    "ago.years.one": "1年前",
    "ago.years": "{count}年前",
    "tickets.one": "チケット番号{ticket_id}、「{subject}」について、{ago}に更新されています。",
    "tickets.many": (
        "未解決のチケットが{count}件あります。最新はチケット番号{ticket_id}、「{subject}」で、{ago}に更新されました。"
    ),
    "tickets.none": "現在、未解決のチケットはありません。",
}
