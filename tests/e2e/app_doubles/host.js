// The test fills window.__hub (settings, ticket data, answers), then loads the two app frames.
window.__start = function (withSidebar) {
  var origin = window.location.origin;
  window.__hub.locations = withSidebar ? { "sidebar-guid": "ticket_sidebar", "topbar-guid": "top_bar" } : { "topbar-guid": "top_bar" };
  if (withSidebar) {
    document.getElementById("sidebar").src = "/assets/iframe.html?origin=" + encodeURIComponent(origin) + "&app_guid=sidebar-guid";
  }
  document.getElementById("topbar").src = "/assets/topbar.html?origin=" + encodeURIComponent(origin) + "&app_guid=topbar-guid";
};
