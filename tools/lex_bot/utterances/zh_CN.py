"""Mandarin (simplified Chinese) sample utterances."""

from connect_zendesk.lex.intents import IntentName as I

INTENTS = {
    I.CHECK_TICKET_STATUS: (
        "查询工单状态",
        "我的工单怎么样了",
        "工单{TicketNumber}的状态",
        "查一下{TicketNumber}号工单",
        "我想知道我的问题处理得怎么样了",
        "客服回复了吗",
        "工单进度",
        "查询工单{TicketNumber}",
    ),
    I.CONFIRM_OPEN_TICKET: (
        "{Answer}",
        "{Answer}，就是这个",
        "{Answer}，是别的事情",
        "{Answer}，我就是为这个打电话的",
    ),
    I.CREATE_TICKET: (
        "我要报告一个问题",
        "我想提交新的问题",
        "创建工单",
        "我遇到了问题",
        "帮我开一个工单",
        "我想反映一个故障",
    ),
    I.SCHEDULE_CALLBACK: (
        "请给我回电",
        "我想预约回电",
        "{CallbackDate}给我回电话",
        "{CallbackDate}{CallbackTime}给我打电话",
        "请客服稍后给我打电话",
        "{CallbackTime}给我回电",
    ),
    I.CHECK_CALLBACK: (
        "查询回电预约",
        "什么时候给我回电",
        "我的回电预约是什么时候",
        "确认一下回电时间",
    ),
    I.CANCEL_CALLBACK: (
        "取消回电",
        "取消回电预约",
        "不用给我回电了",
        "我不需要回电了",
    ),
    I.ORDER_STATUS: (
        "我的订单到哪了",
        "订单{OrderNumber}的状态",
        "{OrderNumber}号订单什么时候到",
        "我的订单发货了吗",
        "查物流",
        "订单状态",
    ),
    I.CHANGE_SHIPPING_DATE: (
        "修改发货日期",
        "改一下送货日期",
        "{ShippingDate}发货",
        "把订单{OrderNumber}改到{ShippingDate}发货",
        "我想推迟发货",
        "更改配送日期",
    ),
    I.CANCEL_ORDER: (
        "取消订单",
        "取消订单{OrderNumber}",
        "我不想要这个订单了",
        "帮我把{OrderNumber}号订单取消",
    ),
    I.SPEAK_TO_AGENT: (
        "转人工",
        "人工客服",
        "我要和客服说话",
        "帮我转接人工服务",
        "我想找真人",
        "转接客服",
    ),
    I.END_CONVERSATION: (
        "就这些",
        "不用了谢谢",
        "没别的事了",
        "再见",
        "好的再见",
    ),
}
YES = ("是的", "对", "对的", "没错", "好的", "嗯", "1")
NO = ("不对", "不", "2")
