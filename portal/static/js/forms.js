// Pages carry no per-reader string (every reader gets the same bytes), so a form asks for
// its CSRF token and form stamp when it is first used: on focus, or at the latest on
// submit. Without this file a form is sent without them, and the server answers with the
// form again, filled in as it was and holding both, to send once more.
(function () {
  "use strict";

  var pending = null;

  function fetchToken(url) {
    if (!pending) {
      pending = fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("token " + response.status); }
          return response.json();
        })
        .catch(function (error) { pending = null; throw error; });
    }
    return pending;
  }

  function fill(form, answer) {
    var token = form.querySelector('input[name="csrf_token"]');
    var stamp = form.querySelector('input[name="stamp"]');
    if (token && !token.value) { token.value = answer.csrf_token; }
    if (stamp && !stamp.value) { stamp.value = answer.stamp; }
    return answer;
  }

  // The token for ``form``: a Promise of {csrf_token, stamp}, filled into the form.
  function ready(form) {
    var url = form.getAttribute("data-token-url");
    var token = form.querySelector('input[name="csrf_token"]');
    if (token && token.value) { return Promise.resolve({ csrf_token: token.value }); }
    if (!url || !window.fetch) { return Promise.reject(new Error("no token url")); }
    return fetchToken(url).then(function (answer) { return fill(form, answer); });
  }

  function prepare(form) {
    form.addEventListener("focusin", function () { ready(form).catch(function () {}); }, { once: true });
    // A form whose own script sends it (data-submits-itself) asks for the token itself.
    if (form.hasAttribute("data-submits-itself")) { return; }
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      var token = form.querySelector('input[name="csrf_token"]');
      if (!token || token.value) { return; }
      event.preventDefault();
      var submitter = event.submitter || null;
      function send() {
        // requestSubmit keeps the button that was pressed (its name and value).
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      }
      ready(form).then(send, function () { token.value = "-"; send(); });
    });
  }

  window.portalForms = { ready: ready };
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-token-url]");
    for (var i = 0; i < forms.length; i++) { prepare(forms[i]); }
  });
})();
