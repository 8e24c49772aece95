/*
 * connect-zendesk top bar: the Amazon Connect softphone (CCP) inside Zendesk.
 *
 * The CCP itself (agent login, agent state, call controls) is Amazon's page, embedded with
 * amazon-connect-streams (assets/vendor/connect-streams.js, built from the pinned npm package; a
 * separate script, so the browser tests can serve a double of the part of the API used here).
 * Around it this app:
 *  - on an incoming contact reads the attributes the flows set (zendeskUserId, zendeskTicketId,
 *    offeredTicketId, customerName), shows who is calling, and opens the ticket or the user with ZAF
 *    routeTo when the server-side pop (agent_connected, Talk Partner Edition) is off;
 *  - tells the ticket sidebar panels which contact to show (ZAF instance messaging), again whenever
 *    a sidebar asks, so a panel opened later works at once;
 *  - dials a number the agent clicks in Zendesk (voice.dialout) through the CCP, normalised to
 *    E.164 by the rules of caller_lookup, and links the outbound contact to the ticket it was dialled
 *    from (POST /outbound-link, signed by Zendesk like the panel token request);
 *  - pauses and resumes the call recording (POST /recording);
 *  - after a page reload mid-call finds the call again through agent.getContacts().
 *
 * Text from the call or the stack is only ever put in the page with textContent.
 */
import { normalise } from "./phone.js";
import en from "../translations/en.json";
import ja from "../translations/ja.json";
import ko from "../translations/ko.json";
import zhCn from "../translations/zh-cn.json";

const ZAF_SDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js";
const CONTACT_EVENT = "connect-zendesk.contact"; // top bar -> sidebar: {contactId, ticketId, userId}
const HELLO_EVENT = "connect-zendesk.hello"; // sidebar -> top bar: {ticketId} on screen; tell me the contact
const ASK_EVENT = "connect-zendesk.ask"; // top bar -> sidebars, when it loads: say hello (a sidebar may have loaded first)
const ZENDESK_ID = /^[0-9]{1,20}$/;

// The top bar's strings live with the app's other translations (panel/translations/*.json, "topbar").
const STRINGS = { en: en.topbar, ja: ja.topbar, ko: ko.topbar, "zh-cn": zhCn.topbar };

let strings = STRINGS.en;
const state = {
  client: null,
  settings: {},
  subdomain: "",
  agentId: "",
  agent: null,
  contacts: {}, // contact id -> {contactId, ticketId, userId, name, inbound, recording}
  current: null, // the contact on the line
  subscribed: {}, // contact ids whose events are subscribed (connect.contact and getContacts both list them)
  pendingDial: null, // {e164, ticketId} until the outbound contact appears
  viewingTicket: "", // the ticket whose sidebar was loaded or activated last (the one on screen)
  log: [] // what happened, for the tests and for support
};

function $(id) { return document.getElementById(id); }

function t(key, values) {
  let text = strings[key] || STRINGS.en[key] || key;
  Object.keys(values || {}).forEach((name) => { text = text.split("{" + name + "}").join(String(values[name])); });
  return text;
}

function setLocale(locale) {
  const code = String(locale || navigator.language || "en").toLowerCase();
  strings = STRINGS[code] || STRINGS[code.split("-")[0]] || (code.indexOf("zh") === 0 ? STRINGS["zh-cn"] : STRINGS.en);
  document.documentElement.lang = code;
  Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), (el) => { el.textContent = t(el.getAttribute("data-i18n")); });
}

function note(event, detail) { state.log.push(Object.assign({ event: event }, detail || {})); }

function showStatus(key, values) {
  $("status").setAttribute("data-status", key);
  $("status").textContent = t(key, values);
}

function showError(key, values) {
  const el = $("error");
  el.textContent = key ? t(key, values) : "";
  el.hidden = !key;
}

// ------------------------------------------------------------------ the contact
function attribute(attributes, name) {
  const entry = attributes && attributes[name];
  const value = entry && typeof entry === "object" ? entry.value : entry;
  return value == null ? "" : String(value).trim();
}

function describe(contact) {
  const id = String(contact.getContactId());
  let attributes = {};
  try { attributes = contact.getAttributes() || {}; } catch (error) { attributes = {}; }
  const known = state.contacts[id] || {};
  const ticket = attribute(attributes, "zendeskTicketId") || attribute(attributes, "offeredTicketId");
  const user = attribute(attributes, "zendeskUserId");
  const info = {
    contactId: id,
    ticketId: known.ticketId || (ZENDESK_ID.test(ticket) ? ticket : ""),
    userId: ZENDESK_ID.test(user) ? user : "",
    name: attribute(attributes, "customerName").slice(0, 200),
    inbound: typeof contact.isInbound === "function" ? contact.isInbound() : true,
    recording: known.recording || "on"
  };
  state.contacts[id] = info;
  return info;
}

function showContact(info, statusKey) {
  showStatus(statusKey);
  $("caller").textContent = info ? info.name : "";
  $("ticket").textContent = info && info.ticketId ? t("ticket", { ticket: info.ticketId }) : "";
  showRecording(info);
}

function pop(info) {
  if (!info.inbound || state.settings.serverSidePop !== false) { return; }
  if (info.ticketId) {
    state.client.invoke("routeTo", "ticket", info.ticketId);
    note("routeTo", { kind: "ticket", id: info.ticketId });
  } else if (info.userId) {
    state.client.invoke("routeTo", "user", info.userId);
    note("routeTo", { kind: "user", id: info.userId });
  }
}

function incoming(contact) {
  const info = describe(contact);
  note("incoming", { contactId: info.contactId });
  state.client.invoke("popover", "show");
  showContact(info, info.inbound ? "incoming" : "dialling");
  pop(info);
}

function connected(contact) {
  const info = describe(contact);
  if (state.current && state.current.contactId === info.contactId) { return; }
  state.current = info;
  note("connected", { contactId: info.contactId });
  showContact(info, "onCall");
  tellSidebars();
}

function ended(contact) {
  const id = String(contact.getContactId());
  note("ended", { contactId: id });
  if (state.current && state.current.contactId === id) { state.current = null; }
  showContact(null, "ended");
}

function watch(contact) {
  const id = String(contact.getContactId());
  if (state.subscribed[id]) { return; }
  state.subscribed[id] = true;
  linkOutbound(contact);
  contact.onConnecting(incoming);
  contact.onConnected(connected);
  contact.onEnded(ended);
}

function resume(agent) {
  state.agent = agent;
  (agent.getContacts() || []).forEach((contact) => {
    watch(contact);
    const status = typeof contact.getStatus === "function" ? contact.getStatus() : null;
    const type = status && status.type;
    if (type === "connected" || type === "onhold" || type === "connecting") { // a reload mid-call
      note("resumed", { contactId: String(contact.getContactId()) });
      if (type === "connecting") { incoming(contact); } else { connected(contact); }
    }
  });
}

// ------------------------------------------------------------------ the sidebar
function sidebarInstances() {
  return state.client.get("instances").then((data) => {
    const instances = (data && data.instances) || {};
    return Object.keys(instances).filter((guid) => instances[guid] && instances[guid].location === "ticket_sidebar");
  });
}

function tellSidebars() {
  const info = state.current;
  if (!info) { return Promise.resolve(); }
  const message = { contactId: info.contactId, ticketId: info.ticketId, userId: info.userId };
  return sidebarInstances().then((guids) => {
    guids.forEach((guid) => { state.client.instance(guid).trigger(CONTACT_EVENT, message); });
    note("toldSidebars", { contactId: info.contactId, count: guids.length });
  });
}

// ------------------------------------------------------------------ signed calls to the stack
function endpoint(path) {
  return String(state.settings.tokenEndpoint || "").replace(/\/panel-token\/?$/, "").replace(/\/+$/, "") + path;
}

function signedPost(path, body) {
  return state.client.request({
    url: endpoint(path),
    type: "POST",
    contentType: "application/json",
    data: JSON.stringify(body),
    secure: true,
    cors: false,
    headers: { Authorization: "Bearer {{jwt.token}}" },
    jwt: {
      algorithm: "HS256",
      secret_key: "{{setting.shared_secret}}",
      expiry: 300,
      claims: {
        iss: "https://" + state.subdomain + ".zendesk.com",
        aud: "connect-zendesk-panel",
        sub: String(state.agentId),
        contact_id: body.contactId
      }
    }
  });
}

function failureStatus(failure) { return (failure && failure.status) || "network"; }

// ------------------------------------------------------------------ click-to-dial
function dial(event) {
  const raw = String((event && (event.number || event.phoneNumber)) || "");
  const found = normalise(raw, String(state.settings.defaultPhoneRegion || "US").toUpperCase());
  const display = raw.slice(0, 40);
  if (!found.e164) { showError("badNumber", { number: display }); note("dialRefused", { raw: raw, reason: found.reason }); return Promise.resolve(); }
  showError(null);
  return ticketInView(event).then((ticketId) => {
    state.pendingDial = { e164: found.e164, ticketId: ticketId };
    state.client.invoke("popover", "show");
    showStatus("dialling", { number: found.e164 });
    note("dial", { e164: found.e164, ticketId: ticketId });
    const agent = state.agent;
    if (!agent) { showError("dialFailed", { number: found.e164 }); return; }
    agent.connect(window.connect.Endpoint.byPhoneNumber(found.e164), {
      success: () => { note("dialStarted", { e164: found.e164 }); },
      failure: () => { state.pendingDial = null; showError("dialFailed", { number: found.e164 }); note("dialFailed", { e164: found.e164 }); }
    });
  });
}

function ticketInView(event) {
  // The top bar is global (no ticket.id of its own): the ticket is the one whose sidebar said last
  // that it is on screen (HELLO_EVENT on load and on app.activated), unless the event names one.
  const named = String((event && event.ticketId) || "");
  return Promise.resolve(ZENDESK_ID.test(named) ? named : state.viewingTicket);
}

function linkOutbound(contact) {
  const pending = state.pendingDial;
  if (!pending || (typeof contact.isInbound === "function" && contact.isInbound())) { return; }
  state.pendingDial = null;
  const contactId = String(contact.getContactId());
  state.contacts[contactId] = Object.assign(state.contacts[contactId] || {}, { contactId: contactId, ticketId: pending.ticketId, inbound: false });
  if (!pending.ticketId) { return; }
  signedPost("/outbound-link", { contactId: contactId, ticketId: pending.ticketId }).then(() => {
    note("linked", { contactId: contactId, ticketId: pending.ticketId });
  }, (failure) => {
    showError("linkFailed", { ticket: pending.ticketId, status: failureStatus(failure) });
    note("linkFailed", { contactId: contactId, status: failureStatus(failure) });
  });
}

// ------------------------------------------------------------------ recording
function showRecording(info) {
  const button = $("recording");
  const paused = Boolean(info && info.recording === "paused");
  button.disabled = !info || button.getAttribute("aria-busy") === "true";
  button.setAttribute("data-recording", info ? info.recording : "none");
  button.setAttribute("aria-pressed", paused ? "true" : "false");
  button.textContent = t(paused ? "resumeRecording" : "pauseRecording");
  $("recording-state").textContent = info ? t(paused ? "recordingPaused" : "recordingOn") : "";
}

function toggleRecording() {
  const info = state.current;
  if (!info) { return Promise.resolve(); }
  const action = info.recording === "paused" ? "resume" : "suspend";
  const button = $("recording");
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  showError(null);
  return signedPost("/recording", { contactId: info.contactId, action: action }).then((answer) => {
    const reported = answer && typeof answer === "object" ? String(answer.recording || answer.state || "") : "";
    info.recording = reported === "suspended" || reported === "paused" ? "paused"
      : reported === "active" || reported === "resumed" || reported === "on" ? "on"
        : action === "suspend" ? "paused" : "on";
    note("recording", { contactId: info.contactId, action: action, recording: info.recording });
  }, (failure) => {
    showError("recordingFailed", { status: failureStatus(failure) });
    note("recordingFailed", { contactId: info.contactId, action: action, status: failureStatus(failure) });
  }).then(() => {
    button.removeAttribute("aria-busy");
    if (state.current === info) { showRecording(info); }
  });
}

// ------------------------------------------------------------------ start
function startCcp() {
  const settings = state.settings;
  if (!settings.ccpUrl || !settings.connectRegion) { showStatus("notConfigured"); return; }
  const options = {
    ccpUrl: String(settings.ccpUrl),
    region: String(settings.connectRegion),
    loginPopup: true,
    loginPopupAutoClose: true,
    softphone: { allowFramedSoftphone: true }
  };
  if (settings.ssoLoginUrl) { options.loginUrl = String(settings.ssoLoginUrl); }
  window.connect.core.initCCP($("ccp"), options);
  note("initCCP", { ccpUrl: options.ccpUrl, region: options.region, loginUrl: options.loginUrl || "" });
  window.connect.contact(watch);
  window.connect.agent((agent) => { resume(agent); showStatus(state.current ? "onCall" : "ready"); });
}

function start(client) {
  state.client = client;
  $("recording").addEventListener("click", toggleRecording);
  client.on(HELLO_EVENT, (message) => {
    const ticketId = String((message && message.ticketId) || "");
    if (ZENDESK_ID.test(ticketId)) { state.viewingTicket = ticketId; }
    tellSidebars();
  });
  client.on("voice.dialout", dial);
  return Promise.all([client.metadata(), client.context(), client.get(["currentUser.id", "currentUser.locale"])]).then((results) => {
    state.settings = results[0].settings || {};
    state.subdomain = results[1].account.subdomain;
    state.agentId = results[2]["currentUser.id"];
    setLocale(results[2]["currentUser.locale"]);
    showStatus("loading");
    startCcp();
    sidebarInstances().then((guids) => { guids.forEach((guid) => { client.instance(guid).trigger(ASK_EVENT, {}); }); });
  });
}

function boot() {
  setLocale(new URLSearchParams(window.location.search).get("locale"));
  const script = document.createElement("script");
  // make panel serves a ZAF client double of its own (local/connect_zendesk_local/desk/)
  script.src = new URLSearchParams(window.location.search).get("zaf") === "local" ? "/desk/zaf_client.js" : ZAF_SDK;
  script.onload = () => { start(window.ZAFClient.init()); };
  document.head.appendChild(script);
}

window.connectZendeskTopBar = { state: state, normalise: normalise };
boot();
