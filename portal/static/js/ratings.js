// Ratings without a page load: the rating form is sent as JSON to the API
// (PUT /api/v1/pages/<key>/rating/mine) and the summary is updated in place.
// Without this file (or if the request cannot be made) the form posts to @@rate.
(function () {
  "use strict";

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function showSummary(section, summary) {
    var text = section.querySelector("[data-rating-text]");
    if (text) {
      text.textContent = "";
      if (summary.count) {
        text.appendChild(document.createTextNode("Rated "));
        var strong = document.createElement("strong");
        strong.textContent = summary.mean.toFixed(1);
        text.appendChild(strong);
        text.appendChild(document.createTextNode(" out of 5 by " + plural(summary.count, "reader") + "."));
      } else {
        text.textContent = "No ratings yet.";
      }
    }
    for (var stars = 1; stars <= 5; stars++) {
      var n = summary.histogram[String(stars)] || 0;
      var bar = section.querySelector('[data-rating-bar="' + stars + '"]');
      if (bar) { bar.max = summary.count || 1; bar.value = n; bar.textContent = String(n); }
      var count = section.querySelector('[data-rating-n="' + stars + '"]');
      if (count) { count.textContent = String(n); }
    }
    var histogram = section.querySelector("[data-rating-histogram]");
    if (histogram) { histogram.hidden = !summary.count; }
    showMine(section, summary.mine);
  }

  // The reader's own rating: the stars up to it filled, its button pressed.
  function showMine(section, mine) {
    var legend = section.querySelector("[data-rating-mine]");
    if (legend) { legend.textContent = mine ? " (you gave " + plural(mine, "star") + ")" : ""; }
    var buttons = section.querySelectorAll(".rating__star");
    for (var i = 0; i < buttons.length; i++) {
      var value = parseInt(buttons[i].value, 10);
      buttons[i].classList.toggle("rating__star--on", Boolean(mine) && value <= mine);
      buttons[i].setAttribute("aria-pressed", String(value === mine));
    }
  }

  function problem(body) {
    if (body && body.fields) {
      var names = Object.keys(body.fields);
      if (names.length) { return names[0] + " " + body.fields[names[0]]; }
    }
    return (body && body.error) || "the rating could not be saved";
  }

  function enhance(form) {
    var section = form.closest(".rating") || form;
    var status = form.querySelector("[data-rating-status]");
    var api = form.getAttribute("data-api");
    var token = form.querySelector('input[name="csrf_token"]');
    if (!api || !window.fetch || !window.JSON || !window.portalForms) { return; }
    // Pages are the same for every reader: the reader's own rating is asked for here.
    if (window.IntersectionObserver) {
      var seen = new IntersectionObserver(function (entries) {
        if (!entries.some(function (e) { return e.isIntersecting; })) { return; }
        seen.disconnect();
        fetch(api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) { if (body && body.stars) { showMine(section, body.stars); } })
          .catch(function () {});
      });
      seen.observe(form);
    }
    form.addEventListener("submit", function (event) {
      var checked = event.submitter && event.submitter.name === "stars" ? event.submitter : null;
      if (!checked) { return; } // the server explains what is missing
      event.preventDefault();
      if (status) { status.textContent = "Saving…"; }
      window.portalForms.ready(form).then(function () {
        return fetch(api, {
          method: "PUT",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRF-Token": token ? token.value : ""
          },
          body: JSON.stringify({ stars: parseInt(checked.value, 10) })
        });
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          if (status) { status.textContent = "Not saved: " + problem(result.body) + "."; }
          return;
        }
        showSummary(section, result.body);
        if (status) { status.textContent = "Saved: you gave " + plural(result.body.mine, "star") + "."; }
      }).catch(function () {
        // No answer from the API: post the form the ordinary way, with the star chosen.
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "stars";
        field.value = checked.value;
        form.appendChild(field);
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-rating-form]");
    for (var i = 0; i < forms.length; i++) { enhance(forms[i]); }
  });
})();
