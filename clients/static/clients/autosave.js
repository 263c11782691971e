// Saves the draft a moment after the partner stops typing or choosing, so nothing is lost
// if the phone locks or the tab closes. The page works the same without this script.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(window.location.href, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (status) {
          status.textContent = response.ok ? "Draft saved." : "Could not save just now; your answers are still on this page.";
        }
      })
      .catch(function () {
        if (status) { status.textContent = "Offline: your answers are still on this page."; }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 1500);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
