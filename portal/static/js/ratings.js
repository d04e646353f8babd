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
    var legend = section.querySelector("legend");
    if (legend && summary.mine) {
      legend.textContent = "Your rating (you gave " + plural(summary.mine, "star") + ")";
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
    form.addEventListener("submit", function (event) {
      var checked = form.querySelector('input[name="stars"]:checked');
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
        form.submit(); // no answer from the API: post the form the ordinary way
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-rating-form]");
    for (var i = 0; i < forms.length; i++) { enhance(forms[i]); }
  });
})();
