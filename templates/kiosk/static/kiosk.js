/* tpi_forms kiosk: wipe an abandoned tablet session, and never show a page from the back cache.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). The server expires idle sessions as
 * well, so this is a courtesy that returns the screen to the start sooner, not the only guard.
 *
 * Markup: body[data-kiosk-idle-seconds] and form#kiosk-timeout (POST, with its CSRF token).
 */
(function () {
  "use strict";

  // A page restored from the back/forward cache may hold an earlier patient's page: reload it,
  // so the server decides what this tablet may show now.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

  function start() {
    var body = document.body;
    var seconds = Number(body.getAttribute("data-kiosk-idle-seconds")) || 0;
    var form = document.getElementById("kiosk-timeout");
    if (!seconds || !form || body.classList.contains("kiosk-start")) { return; }
    var last = Date.now();
    var sent = false;
    function touched() { last = Date.now(); }
    ["pointerdown", "keydown", "input", "scroll", "touchstart", "wheel"].forEach(function (name) {
      window.addEventListener(name, touched, { capture: true, passive: true });
    });
    window.setInterval(function () {
      if (!sent && Date.now() - last >= seconds * 1000) {
        sent = true;
        form.submit();
      }
    }, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
