/* tpi_forms kiosk: warn, then wipe, an abandoned tablet session; keep a draft of the screening
 * answers on the server; never show a page from the back cache.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). The server expires idle sessions as
 * well, so the wipe here is a courtesy that returns the screen to the start sooner, not the only
 * guard. Nothing is stored in the browser: the draft goes to the server session only.
 *
 * Markup: body[data-kiosk-idle-seconds], body[data-kiosk-warn-seconds] (the last seconds in which
 * dialog#kiosk-idle asks "Are you still there?"), form#kiosk-timeout (POST, with its CSRF token);
 * on the screening page body[data-kiosk-draft-url] and, after a reload, body[data-kiosk-draft-step];
 * on the waiting page body[data-kiosk-refresh-seconds] and body[data-kiosk-refresh-url] (a
 * <noscript> meta refresh does the same without JavaScript).
 */
(function () {
  "use strict";

  var wiping = false;  // the wipe was sent: no more drafts, no second wipe

  // A page restored from the back/forward cache may hold an earlier patient's page: reload it,
  // so the server decides what this tablet may show now.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

  /* --- Idle: a warning with a countdown, then the wipe. --- */

  function IdleWatch(body, form, dialog) {
    this.seconds = Number(body.getAttribute("data-kiosk-idle-seconds")) || 0;
    var warn = Number(body.getAttribute("data-kiosk-warn-seconds")) || 0;
    this.warnFor = Math.max(0, Math.min(warn, Math.floor(this.seconds / 2)));
    this.form = form;
    this.dialog = dialog;
    this.last = Date.now();
    this.warned = false;
    this.closeOnRelease = false;
    this.before = null;
    var self = this;
    ["pointerdown", "touchstart", "keydown", "wheel", "input"].forEach(function (name) {
      window.addEventListener(name, function (e) { self.touched(e); }, { capture: true, passive: true });
    });
    window.addEventListener("scroll", function () {
      if (!self.warned) { self.last = Date.now(); }
    }, { capture: true, passive: true });
    ["click", "pointercancel"].forEach(function (name) {  // the last event of a tap
      window.addEventListener(name, function () {
        if (self.closeOnRelease) { self.hide(); }
      }, { capture: true, passive: true });
    });
    if (dialog) {
      dialog.addEventListener("cancel", function (e) { e.preventDefault(); self.touched(e); });
    }
    window.setInterval(function () { self.tick(); }, 250);
  }

  /* Any tap or key keeps the session; a tap on the warning closes it when the tap is over (its
   * click), so the tap neither lands on what lies under the warning nor moves the focus. */
  IdleWatch.prototype.touched = function (e) {
    this.last = Date.now();
    if (!this.warned) { return; }
    if (e && (e.type === "pointerdown" || e.type === "touchstart")) {
      this.closeOnRelease = true;
    } else {
      this.hide();
    }
  };

  IdleWatch.prototype.tick = function () {
    if (wiping) { return; }
    var idle = Date.now() - this.last;
    var limit = this.seconds * 1000;
    if (idle >= limit) {
      wiping = true;
      this.form.submit();
    } else if (this.warnFor && this.dialog && idle >= limit - this.warnFor * 1000) {
      this.show(Math.ceil((limit - idle) / 1000));
    }
  };

  IdleWatch.prototype.show = function (left) {
    var d = this.dialog;
    var count = d.querySelector("[data-kiosk-idle-count]");
    var text = d.querySelector("[data-kiosk-idle-text]");
    if (count) { count.textContent = String(left); }
    if (text) {
      text.textContent = (d.getAttribute("data-kiosk-idle-pattern") || "").replace("{seconds}", String(left));
    }
    if (this.warned) { return; }
    this.warned = true;
    this.closeOnRelease = false;
    this.before = document.activeElement;
    if (d.showModal) { d.showModal(); } else { d.setAttribute("open", ""); }
    var stay = d.querySelector("[data-kiosk-idle-stay]");
    if (stay) { stay.focus(); }
  };

  IdleWatch.prototype.hide = function () {
    this.closeOnRelease = false;
    if (!this.warned) { return; }
    this.warned = false;
    if (this.dialog.close) { this.dialog.close(); } else { this.dialog.removeAttribute("open"); }
    var back = this.before;
    this.before = null;
    if (back && back !== document.body && back.focus && document.contains(back)) {
      back.focus({ preventScroll: true });
    }
  };

  function watchIdle() {
    var body = document.body;
    var form = document.getElementById("kiosk-timeout");
    if (!Number(body.getAttribute("data-kiosk-idle-seconds")) || !form ||
        body.classList.contains("kiosk-start")) {
      return;
    }
    form.addEventListener("submit", function () { wiping = true; });
    new IdleWatch(body, form, document.getElementById("kiosk-idle"));
  }

  /* --- Draft: the screening answers posted to the session as they change. --- */

  var DRAFT_DELAY_MS = 700;

  function keepDraft() {
    var body = document.body;
    var url = body.getAttribute("data-kiosk-draft-url");
    var form = document.querySelector("form[data-tpi-form]");
    if (!url || !form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
    var step = Number(body.getAttribute("data-kiosk-draft-step"));
    if (step && window.tpiForms && window.tpiForms.showStep) { window.tpiForms.showStep(form, step); }
    var timer = null;
    var sent = false;  // the answers themselves were sent: the draft has done its job

    function payload() {
      var data = new FormData(form);  // the enabled fields only, with the CSRF token
      data.delete("submission_token");
      data.set("draft_step", form.getAttribute("data-tpi-current-step") || "1");
      return data;
    }
    var lastSent = new URLSearchParams(payload()).toString();

    function send(beacon) {
      if (timer) { window.clearTimeout(timer); }
      timer = null;
      if (wiping || sent) { return; }
      var data = payload();
      var key = new URLSearchParams(data).toString();
      if (key === lastSent) { return; }
      lastSent = key;
      if (beacon && navigator.sendBeacon) {
        navigator.sendBeacon(url, data);
        return;
      }
      window.fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true })
        .then(function (response) { if (!response.ok) { lastSent = null; } })
        .catch(function () { lastSent = null; });  // offline: sent again on the next change
    }
    function soon() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { send(false); }, DRAFT_DELAY_MS);
    }
    form.addEventListener("change", soon);
    form.addEventListener("input", soon);
    form.addEventListener("tpi-step", function () { send(false); });
    form.addEventListener("submit", function (e) { if (!e.defaultPrevented) { sent = true; } });
    window.addEventListener("online", function () { send(false); });
    window.addEventListener("pagehide", function () { send(true); });
  }

  /* --- Waiting: look again every few seconds whether staff moved the check-in on. --- */

  function refreshWhileWaiting() {
    var body = document.body;
    var seconds = Number(body.getAttribute("data-kiosk-refresh-seconds"));
    var url = body.getAttribute("data-kiosk-refresh-url");
    if (!seconds || !url) { return; }
    window.setTimeout(function () { window.location.replace(url); }, seconds * 1000);
  }

  /* --- Consent sections: each one told to the server when it is first seen, so the audit
     trail has the time each was read (the signed form still lists them all). --- */

  function reportSectionsViewed() {
    var url = document.body.getAttribute("data-kiosk-viewed-url");
    var form = document.querySelector("form[data-tpi-consent]");
    if (!url || !form || !window.fetch || !window.FormData) { return; }
    var sections = form.querySelector("input[data-tpi-review=sections]");
    var token = form.querySelector("input[name=csrf_token]");
    if (!sections || !token) { return; }
    var told = {};
    function tell() {
      var ids = (sections.value || "").split(" ");
      for (var i = 0; i < ids.length; i++) {
        var id = ids[i];
        if (!id || told[id]) { continue; }
        told[id] = true;
        var data = new FormData();
        data.set("csrf_token", token.value);
        data.set("section", id);
        window.fetch(url, { method: "POST", body: data, credentials: "same-origin" })
          .catch(function () {});  // the signed form lists the section all the same
      }
    }
    tell();
    window.setInterval(tell, 1000);
  }

  function start() {
    watchIdle();
    keepDraft();
    refreshWhileWaiting();
    reportSectionsViewed();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
