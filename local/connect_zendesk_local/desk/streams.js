/*
 * The amazon-connect-streams double (served in place of assets/vendor/connect-streams.js): the part of
 * the API the top bar uses. Contacts live in the host page's hub, so a reload of the top bar finds the
 * call again, as the real CCP keeps it; the test drives calls through window.top.__hub.streams.
 */
(function () {
  var hub = window.top.__hub;
  var contactCallbacks = [];
  var agentCallbacks = [];
  var handlers = {};  // contact id -> {connecting: [], connected: [], ended: []}

  function on(id, kind) {
    return function (fn) { ((handlers[id] = handlers[id] || { connecting: [], connected: [], ended: [] })[kind]).push(fn); return { unsubscribe: function () {} }; };
  }
  function Contact(record) {
    var id = record.contactId;
    return {
      getContactId: function () { return id; },
      getInitialContactId: function () { return record.initialContactId || id; },
      getAttributes: function () {
        var out = {};
        Object.keys(record.attributes || {}).forEach(function (name) { out[name] = { name: name, value: record.attributes[name] }; });
        return out;
      },
      isInbound: function () { return record.inbound; },
      getType: function () { return "voice"; },
      getStatus: function () { return { type: record.status }; },
      onConnecting: on(id, "connecting"),
      onConnected: on(id, "connected"),
      onEnded: on(id, "ended")
    };
  }
  function emit(record, kind) {
    var contact = Contact(record);
    ((handlers[record.contactId] || {})[kind] || []).forEach(function (fn) { fn(contact); });
  }
  function find(id) { return hub.contacts.filter(function (c) { return c.contactId === id; })[0]; }
  function arrive(record) {
    hub.contacts.push(record);
    var contact = Contact(record);
    contactCallbacks.forEach(function (fn) { fn(contact); });
    emit(record, "connecting");
  }

  var agent = {
    getContacts: function () {
      return hub.contacts.filter(function (c) { return c.status !== "ended"; }).map(Contact);
    },
    connect: function (endpoint, options) {
      hub.dials.push(hub.clone(endpoint));
      window.setTimeout(function () {
        if (hub.dialFails) { if (options && options.failure) { options.failure(JSON.stringify({ type: "BadEndpoint" })); } return; }
        if (options && options.success) { options.success(); }
        arrive({ contactId: "outbound-" + hub.dials.length, attributes: {}, inbound: false, status: "connecting" });
      }, 10);
    }
  };

  window.connect = {
    core: {
      initCCP: function (container, options) {
        hub.ccp.push(hub.clone(options));
        var ccp = document.createElement("div");
        ccp.className = "ccp-double";
        ccp.setAttribute("style", "height:100%;box-sizing:border-box;padding:10px;background:#232f3e;color:#fff;font:13px system-ui");
        var stateRow = document.createElement("div");
        stateRow.textContent = "Amazon Connect CCP (double) · agent state: Available ▾";
        ccp.appendChild(stateRow);
        container.appendChild(ccp);
        window.setTimeout(function () { agentCallbacks.forEach(function (fn) { fn(agent); }); }, 10);
      }
    },
    contact: function (fn) { contactCallbacks.push(fn); },
    agent: function (fn) { agentCallbacks.push(fn); },
    Endpoint: { byPhoneNumber: function (number) { return { type: "phone_number", phoneNumber: number }; } }
  };

  hub.streams = {
    ring: function (contactId, attributes) { arrive({ contactId: contactId, attributes: attributes || {}, inbound: true, status: "connecting" }); },
    answer: function (contactId) { var record = find(contactId); record.status = "connected"; emit(record, "connected"); },
    hangUp: function (contactId) { var record = find(contactId); record.status = "ended"; emit(record, "ended"); }
  };
}());
