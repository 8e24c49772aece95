/*
 * connect-zendesk agent side panel: live transcript, sentiment, key phrases, categories, alert, notes.
 *
 * Runs three ways (no build step):
 *  - Zendesk ticket sidebar app (opened with ?origin=...&app_guid=...): reads the Amazon Connect
 *    contact id from a ticket field, asks the token endpoint for a panel token with a ZAF secure
 *    request that Zendesk signs (JWT, HS256, the app's secure shared_secret), then connects.
 *  - Standalone: ?contactId=...&token=...&ws=wss://.../live
 *  - Local development: ?dev=1&contactId=... asks the local panel server for a token.
 *
 * Every text that comes from the server is put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var STRINGS = {
    en: {
      connecting: "Connecting…", open: "Live", retrying: "Reconnecting in {s} s…", failed: "Not connected",
      customerSentiment: "Customer sentiment", noSentimentYet: "No sentiment yet", keyPhrases: "Key phrases",
      categories: "Categories", transcript: "Transcript", summary: "Summary", notes: "Notes",
      notePlaceholder: "Note for the ticket…", saveNote: "Save note", saving: "saving…", noteShortened: "shortened to fit",
      POSITIVE: "Positive", NEGATIVE: "Negative", NEUTRAL: "Neutral", MIXED: "Mixed",
      CUSTOMER: "Customer", AGENT: "Agent", SYSTEM: "System",
      callLive: "Call in progress", callEnded: "Call ended", callFailed: "Transcript interrupted",
      alertNegative: "The customer has sounded negative for {n} utterances in a row.",
      noContact: "No Amazon Connect contact is linked to this ticket.", tokenRefused: "Not allowed to open this call's transcript."
    },
    ja: {
      connecting: "接続中…", open: "ライブ", retrying: "{s} 秒後に再接続…", failed: "未接続",
      customerSentiment: "顧客の感情", noSentimentYet: "感情データなし", keyPhrases: "キーフレーズ",
      categories: "カテゴリ", transcript: "文字起こし", summary: "要約", notes: "メモ",
      notePlaceholder: "チケット用のメモ…", saveNote: "メモを保存", saving: "保存中…", noteShortened: "長すぎるため一部を保存",
      POSITIVE: "ポジティブ", NEGATIVE: "ネガティブ", NEUTRAL: "ニュートラル", MIXED: "混在",
      CUSTOMER: "顧客", AGENT: "エージェント", SYSTEM: "システム",
      callLive: "通話中", callEnded: "通話終了", callFailed: "文字起こしが中断されました",
      alertNegative: "顧客の発話が {n} 回続けてネガティブです。",
      noContact: "このチケットには Amazon Connect のコンタクトがありません。", tokenRefused: "この通話の文字起こしを開く権限がありません。"
    },
    ko: {
      connecting: "연결 중…", open: "실시간", retrying: "{s}초 후 다시 연결…", failed: "연결 안 됨",
      customerSentiment: "고객 감정", noSentimentYet: "감정 정보 없음", keyPhrases: "핵심 문구",
      categories: "범주", transcript: "대화록", summary: "요약", notes: "메모",
      notePlaceholder: "티켓 메모…", saveNote: "메모 저장", saving: "저장 중…", noteShortened: "너무 길어 일부만 저장됨",
      POSITIVE: "긍정", NEGATIVE: "부정", NEUTRAL: "중립", MIXED: "혼합",
      CUSTOMER: "고객", AGENT: "상담원", SYSTEM: "시스템",
      callLive: "통화 중", callEnded: "통화 종료", callFailed: "대화록이 중단되었습니다",
      alertNegative: "고객 발화가 {n}번 연속 부정적입니다.",
      noContact: "이 티켓에 연결된 Amazon Connect 연락이 없습니다.", tokenRefused: "이 통화의 대화록을 열 권한이 없습니다."
    },
    "zh-cn": {
      connecting: "正在连接…", open: "实时", retrying: "{s} 秒后重新连接…", failed: "未连接",
      customerSentiment: "客户情绪", noSentimentYet: "暂无情绪数据", keyPhrases: "关键短语",
      categories: "类别", transcript: "转录", summary: "摘要", notes: "备注",
      notePlaceholder: "工单备注…", saveNote: "保存备注", saving: "正在保存…", noteShortened: "过长，仅保存了部分",
      POSITIVE: "积极", NEGATIVE: "消极", NEUTRAL: "中性", MIXED: "混合",
      CUSTOMER: "客户", AGENT: "座席", SYSTEM: "系统",
      callLive: "通话中", callEnded: "通话已结束", callFailed: "转录已中断",
      alertNegative: "客户已连续 {n} 次表达负面情绪。",
      noContact: "此工单未关联 Amazon Connect 联系。", tokenRefused: "无权打开此通话的转录。"
    }
  };

  var params = new URLSearchParams(window.location.search);
  var strings = STRINGS.en;
  var state = {
    contactId: params.get("contactId") || "",
    lines: {},            // line key (final transcript id) -> {item, fragments, begin, final}
    notes: {},            // note id -> element
    outbox: [],           // notes waiting for an open socket (resent with the same id: saved once)
    socket: null,
    attempt: 0,
    stopped: false,
    tokenSource: null     // function returning a Promise of {token, websocketUrl}
  };

  function $(id) { return document.getElementById(id); }

  function t(key, values) {
    var text = strings[key] || STRINGS.en[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function setLocale(locale) {
    var code = String(locale || navigator.language || "en").toLowerCase();
    strings = STRINGS[code] || STRINGS[code.split("-")[0]] || (code.indexOf("zh") === 0 ? STRINGS["zh-cn"] : STRINGS.en);
    document.documentElement.lang = code;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
    });
  }

  function setConnection(stateName, seconds) {
    var el = $("connection");
    el.setAttribute("data-state", stateName);
    el.textContent = t(stateName, { s: seconds });
  }

  // ------------------------------------------------------------------ transcript
  function label(speaker) { return t(String(speaker || "").toUpperCase()); }

  function lineFor(key, speaker, begin) {
    var line = state.lines[key];
    if (line) { return line; }
    var item = document.createElement("li");
    item.setAttribute("data-key", key);
    item.setAttribute("data-speaker", String(speaker || ""));
    var who = document.createElement("span");
    who.className = "speaker";
    who.textContent = label(speaker);
    var text = document.createElement("span");
    text.className = "text";
    var badge = document.createElement("span");
    badge.className = "badge";
    item.appendChild(who);
    item.appendChild(text);
    item.appendChild(badge);
    line = { item: item, text: text, badge: badge, fragments: {}, begin: Number(begin) || 0, final: false };
    state.lines[key] = line;
    insertInOrder(line);
    return line;
  }

  function insertInOrder(line) {
    var list = $("transcript");
    var stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    var next = null;
    Array.prototype.some.call(list.children, function (child) {
      var other = state.lines[child.getAttribute("data-key")];
      if (other && other.begin > line.begin) { next = child; return true; }
      return false;
    });
    list.insertBefore(line.item, next);
    if (stick) { list.scrollTop = list.scrollHeight; }
  }

  function showPartial(message) {
    var key = String(message.transcriptId || message.utteranceId || "");
    if (!key) { return; }
    var line = lineFor(key, message.speaker, message.beginOffsetMs);
    if (line.final) { return; }  // the final already replaced the partials
    line.fragments[String(message.utteranceId || key)] = { text: String(message.text || ""), begin: Number(message.beginOffsetMs) || 0 };
    var pieces = Object.keys(line.fragments).map(function (id) { return line.fragments[id]; });
    pieces.sort(function (a, b) { return a.begin - b.begin; });
    line.text.textContent = pieces.map(function (p) { return p.text; }).join(" ");
    line.item.className = "partial";
  }

  function showSegment(message) {
    var key = String(message.segmentId || "");
    if (!key) { return; }
    var line = lineFor(key, message.speaker, message.beginOffsetMs);
    line.final = true;
    line.fragments = {};
    line.begin = Number(message.beginOffsetMs) || line.begin;
    line.item.className = "final";
    line.item.setAttribute("data-speaker", String(message.speaker || ""));
    line.text.textContent = String(message.text || "");
    if (message.sentiment) { markSentiment(line, message.sentiment); }
  }

  function markSentiment(line, sentiment) {
    var value = String(sentiment).toUpperCase();
    line.item.setAttribute("data-sentiment", value);
    line.badge.setAttribute("data-sentiment", value);
    line.badge.textContent = t(value);
  }

  // ------------------------------------------------------------------ sentiment, phrases, categories
  function showSentiment(message) {
    var customer = (message.speakers || {}).CUSTOMER || {};
    var score = Number(customer.score) || 0;
    var counts = customer.counts || {};
    var any = Object.keys(counts).some(function (k) { return Number(counts[k]) > 0; });
    var el = $("sentiment");
    var value = !any ? "NONE" : score >= 0.05 ? "POSITIVE" : score <= -0.05 ? "NEGATIVE" : "NEUTRAL";
    el.setAttribute("data-sentiment", value);
    el.textContent = any ? t(value) : t("noSentimentYet");
    $("score").textContent = any ? (score > 0 ? "+" : "") + score.toFixed(2) : "";
    var trend = $("trend");
    while (trend.firstChild) { trend.removeChild(trend.firstChild); }
    (customer.trend || []).forEach(function (raw) {
      var v = Math.max(-1, Math.min(1, Number(raw) || 0));
      var bar = document.createElement("span");
      bar.className = v > 0.02 ? "bar-up" : v < -0.02 ? "bar-down" : "bar-flat";
      bar.style.height = Math.round(3 + (v + 1) * 12) + "px";  // -1 .. +1 as a bar from the bottom
      bar.title = v.toFixed(2);
      trend.appendChild(bar);
    });
    fillChips("phrases", (message.keyPhrases || []).map(function (p) { return p && p.text; }));
  }

  function fillChips(id, values) {
    var list = $(id);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    values.filter(Boolean).forEach(function (value) {
      var li = document.createElement("li");
      li.textContent = String(value);
      list.appendChild(li);
    });
  }

  var categories = {};
  function showCategories(message) {
    (message.categories || []).forEach(function (name) { categories[String(name)] = true; });
    fillChips("categories", Object.keys(categories).sort());
  }

  function showAlert(message) {
    var el = $("alert");
    el.textContent = t("alertNegative", { n: Number(message.streak) || 0 });
    el.hidden = false;
  }

  function showStatus(message) {
    var status = String(message.transcriptStatus || "");
    $("call-status").textContent = status === "COMPLETED" ? t("callEnded") : status === "FAILED" ? t("callFailed") : t("callLive");
    $("call-status").setAttribute("data-status", status);
  }

  function showSummary(message) {
    if (!message.content) { return; }
    $("summary").textContent = String(message.content);
    $("summary-section").hidden = false;
  }

  // ------------------------------------------------------------------ notes
  function newNoteId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function noteItem(noteId, text, pending) {
    var item = state.notes[noteId];
    if (!item) {
      item = document.createElement("li");
      item.setAttribute("data-note-id", noteId);
      state.notes[noteId] = item;
      $("notes").appendChild(item);
    }
    item.textContent = String(text);
    item.className = pending ? "pending" : "saved";
    return item;
  }

  function saveNote() {
    var box = $("note-text");
    var text = box.value.trim();
    if (!text) { return; }
    var note = { action: "saveNote", noteId: newNoteId(), text: text.slice(0, 2000) };
    noteItem(note.noteId, note.text + " (" + t("saving") + ")", true);
    state.outbox.push(note);
    box.value = "";
    flushOutbox();
  }

  function flushOutbox() {
    var socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    state.outbox.forEach(function (note) { socket.send(JSON.stringify(note)); });
  }

  function showNote(message) {
    var id = String(message.noteId || "");
    state.outbox = state.outbox.filter(function (note) { return note.noteId !== id; });
    // A note over the stored byte bound comes back cut (between characters): say so.
    var shortened = message.shortened === "true" ? " (" + t("noteShortened") + ")" : "";
    noteItem(id, (message.text || "") + shortened, false);
  }

  // ------------------------------------------------------------------ messages
  var HANDLERS = {
    partial: showPartial,
    segment: showSegment,
    segmentSentiment: function (m) { var line = state.lines[String(m.segmentId || "")]; if (line) { markSentiment(line, m.sentiment); } },
    sentiment: showSentiment,
    categories: showCategories,
    alert: showAlert,
    status: showStatus,
    summary: showSummary,
    note: showNote,
    snapshot: function () {},
    error: function (m) { if (m.noteId && state.notes[m.noteId]) { state.notes[m.noteId].className = "failed"; } }
  };

  function receive(event) {
    var frame;
    try { frame = JSON.parse(event.data); } catch (e) { return; }
    if (!frame || (frame.contactId && frame.contactId !== state.contactId)) { return; }
    (frame.messages || []).forEach(function (message) {
      var handler = message && HANDLERS[message.type];
      if (handler) { handler(message); }
    });
  }

  // ------------------------------------------------------------------ connection
  function connect() {
    if (state.stopped) { return; }
    setConnection(state.attempt ? "retrying" : "connecting", 0);
    state.tokenSource().then(function (grant) {
      var url = String(grant.websocketUrl) + "?contactId=" + encodeURIComponent(state.contactId) + "&token=" + encodeURIComponent(grant.token);
      var socket = new WebSocket(url);
      state.socket = socket;
      socket.onopen = function () {
        state.attempt = 0;
        setConnection("open");
        socket.send(JSON.stringify({ action: "sync" }));  // everything said before this moment
        flushOutbox();
        scheduleReauth(socket, grant.expiresAt);
      };
      socket.onmessage = receive;
      socket.onclose = function () { state.socket = null; retry(); };
    }).catch(function (error) {
      if (error && error.status === 403) { state.stopped = true; setConnection("failed"); $("call-status").textContent = t("tokenRefused"); return; }
      retry();
    });
  }

  // The stack closes a connection when its token expires: a minute before, send a fresh token
  // ({"action": "reauth", "token": ...}) over the open socket, again and again while the call lasts.
  function scheduleReauth(socket, expiresAt) {
    if (!expiresAt) { return; }  // a static token (standalone page): no endpoint to ask
    var delay = Math.max(5000, Number(expiresAt) * 1000 - Date.now() - 60000);
    window.setTimeout(function () {
      if (state.stopped || state.socket !== socket) { return; }
      state.tokenSource().then(function (fresh) {
        if (state.socket !== socket || socket.readyState !== 1) { return; }
        socket.send(JSON.stringify({ action: "reauth", token: fresh.token }));
        scheduleReauth(socket, fresh.expiresAt);
      }).catch(function () {});  // refused or offline: the socket closes at expiry and retry() reconnects
    }, delay);
  }

  function retry() {
    if (state.stopped) { return; }
    state.attempt += 1;
    var delay = Math.min(30000, 500 * Math.pow(2, state.attempt - 1)) * (0.8 + Math.random() * 0.4);
    setConnection("retrying", Math.ceil(delay / 1000));
    window.setTimeout(connect, delay);
  }

  function staticToken() {
    var grant = { token: params.get("token") || "", websocketUrl: params.get("ws") || "" };
    return function () { return Promise.resolve(grant); };
  }

  function devToken() {
    return function () {
      return fetch("/dev/panel-token?contactId=" + encodeURIComponent(state.contactId), { cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { var error = new Error("token refused"); error.status = response.status; throw error; }
          return response.json();
        });
    };
  }

  function zendeskToken(client, settings, subdomain, agentId) {
    return function () {
      return client.request({
        url: settings.tokenEndpoint,
        type: "POST",
        contentType: "application/json",
        data: JSON.stringify({ contactId: state.contactId }),
        secure: true,
        cors: false,
        headers: { Authorization: "Bearer {{jwt.token}}" },
        jwt: {
          algorithm: "HS256",
          secret_key: "{{setting.shared_secret}}",
          expiry: 300,
          claims: {
            iss: "https://" + subdomain + ".zendesk.com",
            aud: "connect-zendesk-panel",
            sub: String(agentId),
            contact_id: state.contactId
          }
        }
      }).catch(function (failure) {
        var error = new Error("token refused");
        error.status = failure && failure.status;
        throw error;
      });
    };
  }

  // The top bar tells the sidebar of the ticket on the call which contact it is (ZAF instance
  // messaging): the panel opens at once, before the ticket field is even saved.
  function listenToTopBar(client, ticketId) {
    client.on("connect-zendesk.contact", function (message) {
      var contactId = String((message && message.contactId) || "");
      if (!contactId || !ticketId || String(message.ticketId || "") !== ticketId || contactId === state.contactId) { return; }
      state.contactId = contactId;
      $("call-status").textContent = "";
      state.stopped = false;
      state.attempt = 0;
      if (state.socket) { state.socket.close(); } else { connect(); }  // onclose reconnects with the new contact
    });
    // ...and the sidebar tells the top bar which ticket is on screen (click-to-dial links to it).
    function hello() {
      client.get("instances").then(function (data) {
        var instances = (data && data.instances) || {};
        Object.keys(instances).forEach(function (guid) {
          if (instances[guid] && instances[guid].location === "top_bar") { client.instance(guid).trigger("connect-zendesk.hello", { ticketId: ticketId }); }
        });
      });
    }
    client.on("app.activated", hello);
    client.on("connect-zendesk.ask", hello);  // the top bar loaded after this sidebar
    hello();
  }

  function startInZendesk() {
    var script = document.createElement("script");
    script.src = params.get("zaf") === "local" ? "/desk/zaf_client.js"  // make panel: a local ZAF client double
      : "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js";
    script.onload = function () {
      var client = window.ZAFClient.init();
      client.invoke("resize", { width: "100%", height: "640px" });
      Promise.all([client.metadata(), client.context(), client.get(["currentUser.id", "currentUser.locale"])]).then(function (results) {
        var settings = results[0].settings;
        var user = results[2];
        setLocale(user["currentUser.locale"]);
        var field = "ticket.customField:custom_field_" + String(settings.contactIdField);
        state.tokenSource = zendeskToken(client, settings, results[1].account.subdomain, user["currentUser.id"]);
        return client.get([field, "ticket.id"]).then(function (data) {
          listenToTopBar(client, String(data["ticket.id"] || ""));
          state.contactId = String(data[field] || "").trim();
          if (!state.contactId) { $("call-status").textContent = t("noContact"); setConnection("failed"); return; }
          connect();
        });
      });
    };
    document.head.appendChild(script);
  }

  function start() {
    setLocale(params.get("locale"));
    $("save-note").addEventListener("click", saveNote);
    if (params.get("app_guid") && params.get("origin")) { startInZendesk(); return; }
    if (!state.contactId) { $("call-status").textContent = t("noContact"); setConnection("failed"); return; }
    state.tokenSource = params.get("dev") ? devToken() : staticToken();
    connect();
  }

  window.connectZendeskPanel = { state: state, receive: receive };
  start();
}());
