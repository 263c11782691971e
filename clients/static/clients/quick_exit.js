// Quick exit: leaves the portal for a neutral site at once. The link in the header works
// without this script; with it, this page is replaced in the history (Back does not return
// to it), the partner is signed out in the background, and Esc pressed 3 times does the same.
// Nothing here may stop the exit: every step is best-effort and the link is the fallback.
(function () {
  "use strict";
  var link = document.querySelector("a[data-quick-exit]");
  if (!link) { return; }
  var PRESSES = 3;
  var WITHIN_MS = 1500;
  var presses = [];

  function signOut() {
    var form = document.querySelector('form[action$="/portal/sign-out/"]');
    if (form && navigator.sendBeacon) {
      navigator.sendBeacon(form.action, new FormData(form)); // carries the CSRF token; not awaited
    }
  }

  function leave(event) {
    var url = link.href;
    try { signOut(); } catch (e) { /* leave anyway */ }
    try { document.body.style.display = "none"; document.title = ""; } catch (e) { /* leave anyway */ }
    if (event) { event.preventDefault(); }
    try {
      window.location.replace(url);
    } catch (e) {
      window.location.href = url;
    }
  }

  link.addEventListener("click", leave);

  document.addEventListener("keydown", function (event) {
    if (event.repeat || !(event.key === "Escape" || event.key === "Esc" || event.keyCode === 27)) { return; }
    var now = Date.now();
    presses.push(now);
    presses = presses.filter(function (t) { return now - t <= WITHIN_MS; });
    if (presses.length >= PRESSES) {
      presses = [];
      leave(null);
    }
  }, true);

  // Only mention the shortcut where it works.
  var hint = document.querySelector(".quick-exit-hint");
  if (hint) { hint.hidden = false; }
})();
