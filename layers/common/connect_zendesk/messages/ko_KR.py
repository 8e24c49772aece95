"""Korean messages."""

MESSAGES = {
    "and": "및",
    "ago.now": "조금 전",
    "ago.minutes.one": "1분 전",
    "ago.minutes": "{count}분 전",
    "ago.hours.one": "1시간 전",
    "ago.hours": "{count}시간 전",
    "ago.days.one": "1일 전",
    "ago.days": "{count}일 전",
    "ago.months.one": "1개월 전",
    "ago.months": "{count}개월 전",
    "ago.years.one": "1년 전",
    "ago.years": "{count}년 전",
    "tickets.one": "티켓 번호 {ticket_id}, {subject} 건이 {ago}에 업데이트되었습니다.",
    "tickets.many": (
        "처리 중인 티켓이 {count}건 있습니다. 가장 최근 티켓은 {ticket_id}번, {subject} 건으로 "
        "{ago}에 업데이트되었습니다."
    ),
    "tickets.none": "현재 처리 중인 티켓이 없습니다.",
}
