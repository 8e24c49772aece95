"""What the generated past calls say: topics, their key phrases and lines per language, sentiment arcs.

Every key phrase appears in its call's transcript (the post-call step places phrases by their offset
in the text, and leaves out nothing it cannot place), and every line carries the sentiment Contact
Lens would have given it, following the call's arc.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    phrases: tuple[str, ...]
    categories: tuple[str, ...]
    intents: tuple[str, ...]  # what self-service fulfils for it (empty: it needs an agent)


TOPICS = (
    Topic("printer", ("printer offline", "paper jam", "rear tray", "firmware update"), ("PrinterIssue",), ()),
    Topic("billing", ("double charge", "refund", "invoice", "credit card"), ("BillingDispute",), ()),
    Topic(
        "shipping",
        ("order status", "tracking number", "late delivery"),
        ("OrderStatus",),
        ("CheckOrderStatus",),
    ),
    Topic("account", ("password reset", "locked account", "two-factor code"), ("AccountAccess",), ()),
    Topic(
        "ticket", ("ticket status", "open ticket", "callback"), (), ("CheckTicketStatus", "ScheduleCallback")
    ),
    Topic("cancel", ("cancel subscription", "contract end", "retention offer"), ("ChurnRisk",), ()),
)

# How often callers bring each topic up (the cloud shows the trend, not a flat field of phrases).
TOPIC_WEIGHTS = {"printer": 30, "billing": 22, "shipping": 18, "account": 14, "ticket": 10, "cancel": 6}

# The customer's sentiment per line, from the first line to the last; the agent stays neutral or positive.
ARCS = {
    "satisfied": ("NEUTRAL", "POSITIVE", "POSITIVE"),
    "recovered": ("NEGATIVE", "NEUTRAL", "POSITIVE"),
    "soured": ("NEUTRAL", "NEGATIVE", "NEGATIVE"),
    "angry": ("NEGATIVE", "NEGATIVE", "NEGATIVE"),
    "mixed": ("NEUTRAL", "MIXED", "NEUTRAL"),
}
ARC_CATEGORIES = {"angry": ("EscalationRisk",), "soured": ("EscalationRisk",), "satisfied": ("ThankYou",)}

# Customer lines by language (the bot's locales); {phrase} is one of the topic's key phrases.
CUSTOMER_LINES = {
    "en-US": (
        "Hi, I am calling about a {phrase} on my account.",
        "It is the {phrase} again, I tried everything you told me.",
        "Okay, so the {phrase} is sorted now, thank you.",
    ),
    "ja-JP": (
        "{phrase}の件でお電話しました。",
        "また{phrase}です。言われたことは全部試しました。",
        "{phrase}は解決しました。ありがとうございます。",
    ),
    "ko-KR": (
        "{phrase} 때문에 전화했습니다.",
        "또 {phrase} 문제입니다. 다 해 봤어요.",
        "{phrase} 해결됐네요. 감사합니다.",
    ),
    "zh-CN": (
        "我打电话是因为{phrase}的问题。",
        "又是{phrase}，我都试过了。",
        "{phrase}已经解决了，谢谢。",
    ),
}
AGENT_LINES = {
    "en-US": ("Thanks for calling, let me look at that for you.", "I have fixed it on our side."),
    "ja-JP": ("お電話ありがとうございます。確認いたします。", "こちらで対応いたしました。"),
    "ko-KR": ("전화 주셔서 감사합니다. 확인해 드리겠습니다.", "저희 쪽에서 처리했습니다."),
    "zh-CN": ("感谢来电，我来帮您查一下。", "我们这边已经处理好了。"),
}
# Key phrases as the analyser returns them in each language; a phrase without a translation is said
# as it is (product words).
PHRASES_BY_LANGUAGE = {
    "ja-JP": {
        "printer offline": "プリンターのオフライン",
        "paper jam": "紙詰まり",
        "refund": "返金",
        "order status": "注文状況",
        "password reset": "パスワードの再設定",
        "ticket status": "チケットの状況",
    },
    "ko-KR": {"printer offline": "프린터 오프라인", "refund": "환불", "order status": "주문 상태"},
    "zh-CN": {"printer offline": "打印机离线", "refund": "退款", "order status": "订单状态"},
}
