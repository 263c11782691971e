// Saves the draft a moment after the partner stops typing or choosing, so nothing is lost
// if the phone locks or the tab closes. The page works the same without this script.
//
// One save at a time: a change made while a save is on its way is sent after it, so an
// older copy of the answers can never arrive last and overwrite a newer one. The form
// carries its part's number and fingerprint, so the server saves to the part shown here, and
// the version of the draft it was made from and a token of its own, so that a page left open
// in another tab cannot overwrite what was saved since, while this page can go on saving.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;
  var saving = false;
  var changedSince = false;

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function save() {
    if (saving) { changedSince = true; return; }
    saving = true;
    changedSince = false;
    var data = new FormData(form);
    data.set("action", "autosave");
    // getAttribute: form.action would be the buttons named "action".
    // redirect: "manual": the server sends a signed-out browser, or one whose worksheet was
    // handed in elsewhere, on to another page; followed, that page would read as a save.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: data, credentials: "same-origin", redirect: "manual"
    })
      .then(function (response) {
        if (response.status === 204) {
          say("Draft saved.");
        } else if (response.type === "opaqueredirect") {
          say("Not saved: you are signed out here, or this worksheet was handed in in " +
              "another window. Your answers are still on this page: copy anything long " +
              "before you leave it, then open your link again.");
        } else if (response.status === 409) {
          // The server says why: saved elsewhere since, or a part that has changed.
          return response.text().then(say);
        } else if (response.status === 410) {
          say("Not saved: your counselor has closed or paused this worksheet. Your answers " +
              "are still on this page.");
        } else {
          say("Could not save just now; your answers are still on this page.");
        }
      })
      .catch(function () {
        say("Offline: your answers are still on this page.");
      })
      .then(function () {
        saving = false;
        if (changedSince) { save(); }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 1500);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
