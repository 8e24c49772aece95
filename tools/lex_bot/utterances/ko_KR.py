"""Korean sample utterances."""

from connect_zendesk.lex.intents import IntentName as I

INTENTS = {
    I.CHECK_TICKET_STATUS: (
        "티켓 상태를 확인하고 싶어요",
        "문의 진행 상황 알려 주세요",
        "티켓 번호 {TicketNumber} 상태 알려 주세요",
        "{TicketNumber}번 티켓 어떻게 됐어요",
        "답변 왔나요",
        "지난번 문의 어떻게 됐나요",
        "티켓 {TicketNumber} 확인",
    ),
    I.CONFIRM_OPEN_TICKET: (
        "{Answer}",
        "{Answer} 맞아요",
        "{Answer} 그 건이에요",
        "{Answer} 다른 건이에요",
    ),
    I.CREATE_TICKET: (
        "문제를 신고하고 싶어요",
        "새로 문의하고 싶어요",
        "티켓을 만들어 주세요",
        "문제가 생겼어요",
        "오류를 신고하고 싶어요",
        "상담을 접수하고 싶어요",
    ),
    I.SCHEDULE_CALLBACK: (
        "다시 전화해 주세요",
        "콜백 예약하고 싶어요",
        "나중에 전화 주세요",
        "{CallbackDate}에 전화해 주세요",
        "{CallbackDate} {CallbackTime}에 전화해 주세요",
        "상담원이 전화해 주면 좋겠어요",
        "{CallbackTime}에 다시 전화 주세요",
    ),
    I.CHECK_CALLBACK: (
        "콜백 예약 확인하고 싶어요",
        "언제 전화 주시나요",
        "콜백 예약 어떻게 됐어요",
        "전화 예약 확인해 주세요",
    ),
    I.CANCEL_CALLBACK: (
        "콜백 취소해 주세요",
        "전화 예약 취소하고 싶어요",
        "다시 전화 안 주셔도 돼요",
        "콜백 필요 없어요",
    ),
    I.ORDER_STATUS: (
        "주문 상태 알려 주세요",
        "제 주문 어디쯤 왔어요",
        "주문 번호 {OrderNumber} 상태 알려 주세요",
        "{OrderNumber}번 주문 언제 도착해요",
        "주문한 상품 발송됐나요",
        "배송 조회하고 싶어요",
        "주문 확인하고 싶어요",
    ),
    I.CHANGE_SHIPPING_DATE: (
        "발송일을 변경하고 싶어요",
        "배송 날짜 바꿔 주세요",
        "{ShippingDate}에 발송해 주세요",
        "주문 번호 {OrderNumber} 발송일을 {ShippingDate}로 바꿔 주세요",
        "배송을 미루고 싶어요",
    ),
    I.CANCEL_ORDER: (
        "주문 취소하고 싶어요",
        "주문 번호 {OrderNumber} 취소해 주세요",
        "주문을 취소해 주세요",
        "{OrderNumber}번 주문 취소",
    ),
    I.SPEAK_TO_AGENT: (
        "상담원 연결해 주세요",
        "상담원",
        "사람이랑 통화하고 싶어요",
        "직원 바꿔 주세요",
        "상담원과 이야기하고 싶어요",
        "담당자 연결",
    ),
    I.END_CONVERSATION: (
        "괜찮아요 됐어요",
        "그게 다예요",
        "이제 됐어요",
        "감사합니다 끊을게요",
        "안녕히 계세요",
    ),
}
YES = ("네", "맞아요", "그래요", "응", "좋아요", "1")
NO = ("아니오", "아니", "아니에요", "2")
