/* The ZAF client double (served in place of Zendesk's zaf_sdk.min.js): the part of the client the app uses. */
(function () {
  var hub = window.top.__hub;
  var guid = new URLSearchParams(window.location.search).get("app_guid");
  hub.handlers[guid] = {};
  function get(paths) {
    var list = Array.isArray(paths) ? paths : [paths];
    var out = {};
    list.forEach(function (path) {
      out[path] = path === "instances" ? hub.instances() : hub.clone((hub.data[guid] || {})[path]);
    });
    return Promise.resolve(out);
  }
  var client = {
    metadata: function () { return Promise.resolve({ settings: hub.clone(hub.settings) }); },
    context: function () {
      return Promise.resolve({ account: { subdomain: "example" }, location: hub.locations[guid], instanceGuid: guid });
    },
    get: get,
    invoke: function (name) {
      hub.invocations.push({ guid: guid, name: name, args: hub.clone(Array.prototype.slice.call(arguments, 1)) });
      return Promise.resolve({});
    },
    on: function (name, fn) { (hub.handlers[guid][name] = hub.handlers[guid][name] || []).push(fn); },
    instance: function (other) {
      return {
        trigger: function (name, data) {
          hub.triggers.push({ from: guid, to: other, name: name, data: hub.clone(data) });
          window.setTimeout(function () { hub.fire(other, name, hub.clone(data)); }, 0);
        }
      };
    },
    request: function (options) {
      var body = options.data ? JSON.parse(options.data) : null;
      hub.requests.push({
        guid: guid, url: options.url, type: options.type, body: body, secure: options.secure === true,
        jwt: hub.clone(options.jwt), authorization: (options.headers || {}).Authorization
      });
      if (hub.local && /\/panel-token$/.test(options.url)) {
        // make panel: the local panel server signs the request as Zendesk's proxy would
        return fetch("/dev/panel-token?contactId=" + encodeURIComponent(body.contactId), { cache: "no-store" })
          .then(function (response) { return response.json().then(function (json) { if (!response.ok) { throw { status: response.status }; } return json; }); });
      }
      return hub.respond(options.url);
    }
  };
  window.ZAFClient = { init: function () { return client; } };
}());
