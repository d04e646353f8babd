// Replying without a page load: a comment's "Reply" link points the comment form at
// that comment (the hidden parent field) and moves focus to it. Without this file the
// link reloads the page with ?reply=<id>, which does the same on the server.
(function () {
  "use strict";

  // Comment times in the reader's terms: "3 hours ago", the exact time on hover.
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];

  function relative(date) {
    var seconds = (Date.now() - date.getTime()) / 1000;
    if (seconds < 60) { return "just now"; }
    var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
    for (var i = 0; i < UNITS.length; i++) {
      var n = Math.floor(seconds / UNITS[i][1]);
      if (n >= 1) {
        return format ? format.format(-n, UNITS[i][0]) : n + " " + UNITS[i][0] + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "just now";
  }

  function showTimes() {
    var times = document.querySelectorAll(".comment__time time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (isNaN(date.getTime())) { continue; }
      times[i].title = date.toLocaleString();
      times[i].textContent = relative(date);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    showTimes();
    var form = document.querySelector("form[data-comment-form]");
    if (!form) { return; }
    var parent = form.querySelector("[data-parent-field]");
    var replying = form.querySelector("[data-replying]");
    var link = form.querySelector("[data-replying-link]");
    var cancel = form.querySelector("[data-reply-cancel]");
    var title = form.querySelector("#comment-form-title");
    var body = form.querySelector("#comment-body");

    function replyTo(id, name) {
      parent.value = id;
      link.textContent = name;
      link.setAttribute("href", "#comment-" + id);
      replying.hidden = false;
      if (title) { title.textContent = "Reply to " + name; }
      form.scrollIntoView({ block: "start" });
      body.focus();
    }

    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("[data-reply-to]") : null;
      if (!target) { return; }
      event.preventDefault();
      replyTo(target.getAttribute("data-reply-to"), target.getAttribute("data-reply-name"));
    });

    if (cancel) {
      cancel.addEventListener("click", function (event) {
        event.preventDefault();
        parent.value = "";
        replying.hidden = true;
        if (title) { title.textContent = "Add a comment"; }
        body.focus();
      });
    }
  });
})();
