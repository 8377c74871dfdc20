/* tpi_forms consent review: evidence that the text was read before signing.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). It records, into hidden inputs
 * submitted with the signatures: the seconds the page was visible, the consent sections seen,
 * and whether the reader reached the end of the text. The sign step stays disabled until the end
 * was reached. Without this script the page still works and the evidence says it was not recorded.
 *
 * Markup: [data-tpi-consent] form holding
 *   [data-tpi-consent-text]      the scrollable consent text (tabindex=0 so keyboards scroll it)
 *     [data-tpi-consent-section] each section, with its id in data-tpi-section-id
 *     [data-tpi-consent-end]     a marker after the last line
 *   [data-tpi-sign-step]         the fieldset holding risks and signatures
 *   [data-tpi-gate]              the message shown while signing is not yet possible
 *   input[data-tpi-review=seconds|sections|reached_end|script]
 */
(function () {
  "use strict";

  function Review(form) {
    this.form = form;
    this.text = form.querySelector("[data-tpi-consent-text]");
    this.signStep = form.querySelector("[data-tpi-sign-step]");
    this.gate = form.querySelector("[data-tpi-gate]");
    this.inputs = {};
    var hidden = form.querySelectorAll("input[data-tpi-review]");
    for (var i = 0; i < hidden.length; i++) {
      this.inputs[hidden[i].getAttribute("data-tpi-review")] = hidden[i];
    }
    this.seen = {};
    this.order = [];
    var prior = this.inputs.sections && this.inputs.sections.value;
    if (prior) {
      var ids = prior.split(" ");
      for (var k = 0; k < ids.length; k++) { this.markSeen(ids[k]); }
    }
    this.seconds = Number(this.inputs.seconds && this.inputs.seconds.value) || 0;
    this.reached = !!(this.inputs.reached_end && this.inputs.reached_end.value === "1");
    this.visibleSince = document.hidden ? null : Date.now();
    this.set("script", "1");
    this.bind();
    this.update();
  }

  Review.prototype.set = function (name, value) {
    if (this.inputs[name]) { this.inputs[name].value = value; }
  };

  Review.prototype.markSeen = function (id) {
    if (id && !this.seen[id]) {
      this.seen[id] = true;
      this.order.push(id);
    }
  };

  Review.prototype.elapsed = function () {
    var extra = this.visibleSince === null ? 0 : (Date.now() - this.visibleSince) / 1000;
    return Math.floor(this.seconds + extra);
  };

  Review.prototype.bind = function () {
    var self = this;
    document.addEventListener("visibilitychange", function () {
      if (document.hidden && self.visibleSince !== null) {
        self.seconds += (Date.now() - self.visibleSince) / 1000;
        self.visibleSince = null;
      } else if (!document.hidden && self.visibleSince === null) {
        self.visibleSince = Date.now();
      }
      self.update();
    });
    if (this.text) {
      this.text.addEventListener("scroll", function () { self.check(); }, { passive: true });
    }
    window.addEventListener("scroll", function () { self.check(); }, { passive: true });
    window.addEventListener("resize", function () { self.check(); });
    this.form.addEventListener("submit", function () { self.update(); });
    this.form.addEventListener("focusin", function () { self.update(); });
    window.setInterval(function () { self.update(); }, 1000);
    this.check();
  };

  function visibleHeight(rect, top, bottom) {
    return Math.max(0, Math.min(rect.bottom, bottom) - Math.max(rect.top, top));
  }

  /* Which sections are on screen now, and whether the end marker has been reached. */
  Review.prototype.check = function () {
    var box = this.text ? this.text.getBoundingClientRect() : null;
    var top = Math.max(0, box ? box.top : 0);
    var bottom = Math.min(window.innerHeight, box ? box.bottom : window.innerHeight);
    if (bottom <= top) { return; }
    var sections = this.form.querySelectorAll("[data-tpi-consent-section]");
    for (var i = 0; i < sections.length; i++) {
      var r = sections[i].getBoundingClientRect();
      var shown = visibleHeight(r, top, bottom);
      if (r.height > 0 && (shown >= r.height * 0.6 || shown >= (bottom - top) * 0.6)) {
        this.markSeen(sections[i].getAttribute("data-tpi-section-id"));
      }
    }
    var end = this.form.querySelector("[data-tpi-consent-end]");
    if (end && !this.reached) {
      var e = end.getBoundingClientRect();
      if (e.top <= bottom + 2) { this.reached = true; }
    }
    this.update();
  };

  Review.prototype.update = function () {
    this.set("seconds", String(this.elapsed()));
    this.set("sections", this.order.join(" "));
    this.set("reached_end", this.reached ? "1" : "");
    if (this.signStep) { this.signStep.disabled = !this.reached; }
    if (this.gate) { this.gate.hidden = this.reached; }
    this.form.setAttribute("data-tpi-reached-end", this.reached ? "1" : "0");
  };

  function initAll() {
    var forms = document.querySelectorAll("form[data-tpi-consent]");
    for (var i = 0; i < forms.length; i++) {
      if (!forms[i].tpiReview) { forms[i].tpiReview = new Review(forms[i]); }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
