"""Simplified Chinese (Mandarin) messages."""

MESSAGES = {
    "and": "和",
    "ago.now": "刚刚",
    "ago.minutes.one": "1分钟前",
    "ago.minutes": "{count}分钟前",
    "ago.hours.one": "1小时前",
    "ago.hours": "{count}小时前",
    "ago.days.one": "昨天",
    "ago.days": "{count}天前",
    "ago.months.one": "1个月前",
    "ago.months": "{count}个月前",
    "ago.years.one": "1年前",
    "ago.years": "{count}年前",
    "tickets.one": "您的工单{ticket_id}，关于“{subject}”，{ago}更新。",
    "tickets.many": "您有{count}个未解决的工单。最新的是工单{ticket_id}，关于“{subject}”，{ago}更新。",
    "tickets.none": "您目前没有未解决的工单。",
}
