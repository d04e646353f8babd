// Reading a page: the on-page contents follows the scrolling, code blocks get a copy
// button, and "[" / "]" open the previous / next page. Progressive enhancement only.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target || !target.closest) { return false; }
    return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  // The contents entry of the section being read gets aria-current="true" (styled by the
  // stylesheet). A heading becomes current when it crosses into the top third of the window.
  function setupContents() {
    var links = Array.prototype.slice.call(document.querySelectorAll(".toc a[href^='#']"));
    if (!links.length || !window.IntersectionObserver) { return; }
    var byId = {};
    links.forEach(function (link) {
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      (byId[id] = byId[id] || []).push(link);
    });
    var headings = Object.keys(byId)
      .map(function (id) { return document.getElementById(id); })
      .filter(Boolean);
    if (!headings.length) { return; }
    var current = null;

    function mark(heading) {
      if (heading === current) { return; }
      current = heading;
      links.forEach(function (link) { link.removeAttribute("aria-current"); });
      if (heading) {
        byId[heading.id].forEach(function (link) { link.setAttribute("aria-current", "true"); });
      }
    }

    function update() {
      // The last heading above the line a third of the way down the window.
      var line = window.innerHeight / 3;
      var found = null;
      for (var i = 0; i < headings.length; i++) {
        if (headings[i].getBoundingClientRect().top <= line) { found = headings[i]; } else { break; }
      }
      mark(found);
    }

    var observer = new IntersectionObserver(update, {rootMargin: "0px 0px -66% 0px", threshold: [0, 1]});
    headings.forEach(function (heading) { observer.observe(heading); });
    update();
  }

  // A "Copy" button on every code block of the page's text.
  function setupCopy() {
    // A code block wider than the screen scrolls: make it reachable by keyboard to do so.
    Array.prototype.forEach.call(document.querySelectorAll("main pre"), function (pre) {
      if (!pre.hasAttribute("tabindex")) { pre.tabIndex = 0; }
    });
    var blocks = document.querySelectorAll(".doc__body pre");
    if (!blocks.length) { return; }
    var announce = document.createElement("p");
    announce.className = "visually-hidden";
    announce.setAttribute("role", "status");
    document.body.appendChild(announce);

    function copyText(text) {
      if (navigator.clipboard && window.isSecureContext) {
        return navigator.clipboard.writeText(text);
      }
      return new Promise(function (resolve, reject) {
        var area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.className = "visually-hidden";
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        document.body.removeChild(area);
        if (ok) { resolve(); } else { reject(new Error("copy refused")); }
      });
    }

    Array.prototype.forEach.call(blocks, function (pre, n) {
      var wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "code-block__copy no-print";
      button.textContent = "Copy";
      var lang = pre.getAttribute("data-lang");
      button.setAttribute("aria-label", "Copy code" + (lang ? " (" + lang + ")" : "") + ", block " + (n + 1));
      wrapper.appendChild(button);
      var reset = null;
      button.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        copyText(code.textContent).then(function () {
          button.textContent = "Copied";
          announce.textContent = "Code copied to the clipboard.";
        }, function () {
          button.textContent = "Copy failed";
          announce.textContent = "The browser did not allow copying; select the code instead.";
        });
        window.clearTimeout(reset);
        reset = window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  }

  // "[" and "]": the previous and next page of the section (the pager's rel links).
  function setupShortcuts() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
      var rel = event.key === "[" ? "prev" : event.key === "]" ? "next" : null;
      if (!rel) { return; }
      var link = document.querySelector(".pager a[rel='" + rel + "']");
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupContents();
    setupCopy();
    setupShortcuts();
  });
})();
