// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Theme switch: system -> light -> dark -> system, remembered in localStorage.
  function setupTheme() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) { return; }
    var label = button.querySelector("[data-theme-name]");
    var order = ["system", "light", "dark"];
    function current() {
      return document.documentElement.getAttribute("data-theme") || "system";
    }
    function show() {
      label.textContent = current();
      button.setAttribute("aria-label", "Colour theme: " + current() + ". Switch theme");
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var next = order[(order.indexOf(current()) + 1) % order.length];
      if (next === "system") {
        document.documentElement.removeAttribute("data-theme");
      } else {
        document.documentElement.setAttribute("data-theme", next);
      }
      try {
        if (next === "system") { window.localStorage.removeItem("portal-theme"); }
        else { window.localStorage.setItem("portal-theme", next); }
      } catch (e) { /* storage blocked: the choice lasts for this page */ }
      show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTheme();
  });
})();
