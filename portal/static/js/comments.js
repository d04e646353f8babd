// Replying without a page load: a comment's "Reply" link points the comment form at
// that comment (the hidden parent field) and moves focus to it. Without this file the
// link reloads the page with ?reply=<id>, which does the same on the server.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
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
