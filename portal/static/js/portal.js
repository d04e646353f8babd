// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  var ORDER = ["system", "light", "dark"];

  // The theme toggle is a link the server draws (GET /-/theme sets the cookie and comes
  // back). Here it switches at once, and the same URL is called in the background so the
  // server draws the next page in the chosen theme.
  function setupTheme() {
    var toggle = document.querySelector("[data-theme-toggle]");
    if (!toggle || !window.fetch) { return; }
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var current = toggle.getAttribute("data-theme-current") || "system";
      var next = ORDER[(ORDER.indexOf(current) + 1) % ORDER.length];
      var after = ORDER[(ORDER.indexOf(next) + 1) % ORDER.length];
      var url = new URL(toggle.href, window.location.href);
      fetch(url.toString(), { credentials: "same-origin", redirect: "manual" }).catch(function () {});
      if (next === "system") { document.documentElement.removeAttribute("data-theme"); }
      else { document.documentElement.setAttribute("data-theme", next); }
      toggle.setAttribute("data-theme-current", next);
      url.searchParams.set("set", after);
      toggle.href = url.toString();
      toggle.setAttribute("aria-label", "Colour theme: " + next + ". Switch to " + after);
      toggle.title = "Colour theme: " + next;
    });
  }

  // The drawer (phones) is a checkbox: Esc closes it, and focus returns to its button.
  function setupDrawer() {
    var box = document.getElementById("drawer");
    if (!box) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && box.checked) {
        box.checked = false;
        box.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTheme();
    setupDrawer();
  });
})();
