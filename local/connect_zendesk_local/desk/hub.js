/*
 * The Zendesk side of the test double: one hub in the host page that the ZAF client double in each
 * app iframe (top bar, ticket sidebar) talks to, and the data the Streams double keeps across a reload
 * of the top bar (the CCP keeps the call; the page that embeds it is what reloads).
 */
window.__hub = {
  settings: {},
  data: {},            // guid -> {path: value}
  locations: {},       // guid -> location
  handlers: {},        // guid -> {event: [fn]}
  invocations: [],     // {guid, name, args}
  requests: [],        // {guid, url, body, jwt, type}
  responses: {},       // path suffix -> [{status, body}] consumed in order, the last one repeats
  triggers: [],        // {from, to, name, data}
  contacts: [],        // the Streams double's contacts {contactId, attributes, inbound, status}
  dials: [],           // agent.connect calls {phoneNumber}
  ccp: [],             // initCCP options, once per top bar load
  streams: null,       // the Streams double of the current top bar page
  clone: function (value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); },
  instances: function () {
    var out = {};
    Object.keys(this.locations).forEach(function (guid) { out[guid] = { location: this.locations[guid] }; }, this);
    return out;
  },
  fire: function (guid, name, data) {
    ((this.handlers[guid] || {})[name] || []).forEach(function (fn) { fn(data); });
  },
  respond: function (url) {
    var hub = this;
    var key = Object.keys(this.responses).filter(function (suffix) { return url.slice(-suffix.length) === suffix; })[0];
    var queue = key ? this.responses[key] : [{ status: 404, body: {} }];
    var answer = queue.length > 1 ? queue.shift() : queue[0];
    return new Promise(function (resolve, reject) {
      window.setTimeout(function () {
        if (answer.status >= 200 && answer.status < 300) { resolve(hub.clone(answer.body)); }
        else { reject({ status: answer.status, responseJSON: hub.clone(answer.body) }); }
      }, 20);
    });
  }
};
