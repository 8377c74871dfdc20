/* tpi_forms consent parts: the text-size control on pages opened from disk.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). On a kiosk the text-size buttons
 * are a form post and the server remembers the size for the check-in; this script does nothing
 * there. On pages opened from disk (form[data-tpi-text-size-local]) it sets the body's
 * tpi-text-<size> class and keeps the choice in sessionStorage, so the next part opens with it.
 */
(function () {
  "use strict";

  var KEY = "tpi-text-size";
  var SIZES = ["normal", "large", "xlarge"];

  function apply(size) {
    if (SIZES.indexOf(size) < 0) { return; }
    var body = document.body;
    SIZES.forEach(function (s) { body.classList.remove("tpi-text-" + s); });
    body.classList.add("tpi-text-" + size);
    var buttons = document.querySelectorAll("[data-tpi-text-size]");
    for (var i = 0; i < buttons.length; i++) {
      var pressed = buttons[i].getAttribute("data-tpi-text-size") === size;
      buttons[i].setAttribute("aria-pressed", pressed ? "true" : "false");
    }
  }

  function stored() {
    try { return window.sessionStorage.getItem(KEY); } catch (e) { return null; }
  }

  function keep(size) {
    try { window.sessionStorage.setItem(KEY, size); } catch (e) { /* storage refused */ }
  }

  function start() {
    var local = document.querySelector("form[data-tpi-text-size-local]");
    if (!local) { return; }
    local.addEventListener("submit", function (event) { event.preventDefault(); });
    var saved = stored();
    if (saved) { apply(saved); }
    local.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tpi-text-size]");
      if (!button) { return; }
      var size = button.getAttribute("data-tpi-text-size");
      apply(size);
      keep(size);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
