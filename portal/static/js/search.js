// The search box: results as you type (from /api/v1/search, same origin) and "/" to reach
// the box. Progressive enhancement: without this file the box is a plain form that opens
// /@@search, which is complete on its own.
(function () {
  "use strict";

  var DELAY_MS = 150;   // wait for a pause in typing before asking
  var MIN_CHARS = 2;
  var PER_PAGE = 6;

  function isTyping(target) {
    if (!target || !target.closest) { return false; }
    return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function setup(form) {
    var input = form.querySelector("[data-search-input]");
    var panel = form.querySelector("[data-search-results]");
    if (!input || !panel || !window.fetch) { return; }
    var api = input.getAttribute("data-search-api");
    var timer = null;
    var controller = null;
    var lastQuery = "";

    var status = document.createElement("p");
    status.className = "search-live__status";
    status.setAttribute("role", "status");
    var list = document.createElement("ul");
    list.className = "search-live__list";
    var all = document.createElement("a");
    all.className = "search-live__all";
    panel.appendChild(status);
    panel.appendChild(list);
    panel.appendChild(all);

    function links() {
      return Array.prototype.slice.call(panel.querySelectorAll("a"));
    }

    function close() {
      panel.hidden = true;
    }

    function render(data) {
      list.textContent = "";
      data.results.forEach(function (hit) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = hit.url;
        link.className = "search-live__hit";
        var title = document.createElement("span");
        title.className = "search-live__title";
        title.textContent = hit.title + (hit.heading ? " › " + hit.heading : "");
        var where = document.createElement("span");
        where.className = "search-live__where";
        where.textContent = hit.section_title;
        var snippet = document.createElement("span");
        snippet.className = "search-live__snippet";
        // snippet_html is escaped by the server; its only markup is <mark>.
        snippet.innerHTML = hit.snippet_html;
        link.appendChild(title);
        link.appendChild(where);
        link.appendChild(snippet);
        item.appendChild(link);
        list.appendChild(item);
      });
      var count = data.total;
      if (count === 0) {
        status.textContent = "No page matches “" + data.q + "”.";
      } else {
        status.textContent = count + (count === 1 ? " page matches" : " pages match") +
          (data.match === "any" ? " some of the words" : "") + ". Press the down arrow to reach them.";
      }
      if (data.did_you_mean) {
        // The server read an unknown word as the closest one the pages use.
        status.textContent = "Showing results for “" + data.did_you_mean + "”. " + status.textContent;
      }
      all.href = data.html_url || form.action;
      all.textContent = count > data.results.length ? "All " + count + " results" : "Open the results page";
      panel.hidden = false;
    }

    function ask() {
      var q = input.value;
      if (q.trim().length < MIN_CHARS) {
        lastQuery = "";
        close();
        return;
      }
      if (q === lastQuery && !panel.hidden) { return; }
      lastQuery = q;
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      var url = api + "?live=1&per_page=" + PER_PAGE + "&q=" + encodeURIComponent(q);
      window.fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin",
                         signal: controller ? controller.signal : undefined})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && input.value === q) { render(data); }
        })
        .catch(function () { /* aborted by newer typing, or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("focus", function () {
      if (lastQuery && input.value === lastQuery && list.childNodes.length) { panel.hidden = false; }
    });

    form.addEventListener("keydown", function (event) {
      var items = links();
      var at = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        if (!panel.hidden) {
          close();
          input.focus();
          event.preventDefault();
        }
      } else if (event.key === "ArrowDown" && !panel.hidden && items.length) {
        items[at < 0 ? 0 : Math.min(at + 1, items.length - 1)].focus();
        event.preventDefault();
      } else if (event.key === "ArrowUp" && at >= 0) {
        if (at === 0) { input.focus(); } else { items[at - 1].focus(); }
        event.preventDefault();
      }
    });
    // Leaving the box (by keyboard or pointer) closes the results.
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) { close(); }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { close(); }
    });

    // "/" anywhere but in a field: go to the search box.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
        return;
      }
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-search-box]");
    if (form) { setup(form); }
  });
})();
