// Runs before first paint (loaded in <head>): apply the theme the reader chose, if any.
(function () {
  var theme = null;
  try { theme = window.localStorage.getItem("portal-theme"); } catch (e) { /* storage blocked */ }
  if (theme === "light" || theme === "dark") {
    document.documentElement.setAttribute("data-theme", theme);
  }
})();
