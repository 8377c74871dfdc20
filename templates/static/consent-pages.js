/* tpi_forms consent parts: the text-size control on pages opened from disk.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). On a kiosk the text-size buttons
 * are a form post and the server remembers the size for the check-in; this script does nothing
 * there. On pages opened from disk (form[data-tpi-text-size-local]) it sets the body's
 * tpi-text-<size> class and keeps the choice in sessionStorage, so the next part opens with it.
 *
 * Time on each section: a screen holds several sections ([data-tpi-section]); while a section
 * is on the screen its seconds add up, and when the part's form is sent they go with it as
 * seconds-<section> (the server keeps them for the audit trail, never more than the screen's
 * own time). Without this script the server records the screen's time only.
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

  function timeSections() {
    var form = document.querySelector("form.tpi-part-form");
    var sections = document.querySelectorAll("[data-tpi-section]");
    if (!form || !sections.length || !("IntersectionObserver" in window)) { return; }
    var shown = {};
    var since = {};
    function now() { return Date.now(); }
    function stop(id) {
      if (since[id] !== undefined) { shown[id] = (shown[id] || 0) + (now() - since[id]); delete since[id]; }
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var id = entry.target.getAttribute("data-tpi-section");
        if (entry.isIntersecting) {
          if (since[id] === undefined) { since[id] = now(); }
        } else {
          stop(id);
        }
      });
    });
    for (var i = 0; i < sections.length; i++) {
      shown[sections[i].getAttribute("data-tpi-section")] = 0;
      observer.observe(sections[i]);
    }
    form.addEventListener("submit", function () {
      Object.keys(since).forEach(stop);
      Object.keys(shown).forEach(function (id) {
        var name = "seconds-" + id;
        var input = form.querySelector('input[name="' + name + '"]');
        if (!input) {
          input = document.createElement("input");
          input.type = "hidden";
          input.name = name;
          form.appendChild(input);
        }
        input.value = String(Math.round(shown[id] / 1000));
      });
    });
  }

  function start() {
    timeSections();
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
