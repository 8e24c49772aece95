/*
 * The test (tests/e2e/test_topbar_browser.py) fills window.__hub (settings, ticket data, answers) and
 * then loads the two app frames with __start. `make panel` opens /desk?contactId=...: the same page
 * in local mode, where the frames start at once and the Streams double rings, then answers, the
 * contact whose scripted call the local stack plays into the sidebar.
 */
window.__start = function (withSidebar, base, extra) {
  var origin = window.location.origin;
  var prefix = base || "/assets/";
  var query = "?origin=" + encodeURIComponent(origin) + (extra || "");
  window.__hub.locations = withSidebar ? { "sidebar-guid": "ticket_sidebar", "topbar-guid": "top_bar" } : { "topbar-guid": "top_bar" };
  if (withSidebar) { document.getElementById("sidebar").src = prefix + "iframe.html" + query + "&app_guid=sidebar-guid"; }
  document.getElementById("topbar").src = prefix + "topbar.html" + query + "&app_guid=topbar-guid";
};

(function () {
  var params = new URLSearchParams(window.location.search);
  var contactId = params.get("contactId");
  if (params.get("local") !== "1" || !contactId) { return; }
  var hub = window.__hub;
  hub.local = true;
  hub.settings = {
    tokenEndpoint: window.location.origin + "/panel-token", shared_secret: "local", contactIdField: 360001,
    ccpUrl: "https://example.my.connect.aws/ccp-v2/", connectRegion: "us-east-1", serverSidePop: true,
    defaultPhoneRegion: "US"
  };
  hub.data["topbar-guid"] = { "currentUser.id": 22450000009001, "currentUser.locale": navigator.language };
  hub.data["sidebar-guid"] = { "currentUser.id": 22450000009001, "currentUser.locale": navigator.language,
    "ticket.id": 42, "ticket.customField:custom_field_360001": "" };
  hub.responses["/outbound-link"] = [{ status: 200, body: { linked: true } }];
  hub.responses["/recording"] = [{ status: 200, body: {} }];
  window.__start(true, "/desk/assets/", "&zaf=local");
  var ring = window.setInterval(function () {
    if (!hub.streams || !hub.ccp.length) { return; }
    window.clearInterval(ring);
    hub.streams.ring(contactId, { zendeskTicketId: "42", zendeskUserId: "7001", customerName: "Jane Customer" });
    window.setTimeout(function () { hub.streams.answer(contactId); }, 2000);
  }, 200);
}());
