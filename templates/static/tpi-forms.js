/* tpi_forms questionnaire behaviour: conditional questions and one-section-per-step navigation.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). Without it the form still works: every
 * question is shown and the server re-validates (answers to questions not asked are dropped).
 *
 * A question wrapper carries data-tpi-question (its id), data-tpi-type and, when it is asked only
 * sometimes, data-tpi-enable-when: the condition as JSON, in the definition-file form. evaluate()
 * mirrors tpi_forms.conditions.evaluate.
 */
(function () {
  "use strict";

  var TRUE_WORDS = { y: true, yes: true, "true": true, "1": true, on: true };
  var FALSE_WORDS = { n: false, no: false, "false": false, "0": false };

  function inputsOf(wrapper, name) {
    var all = wrapper.querySelectorAll("input, select, textarea");
    var out = [];
    for (var i = 0; i < all.length; i++) {
      if (all[i].name === name) { out.push(all[i]); }
    }
    return out;
  }

  /* The JSON-shaped answer of one question, or undefined when it is not answered. */
  function readAnswer(wrapper) {
    var id = wrapper.getAttribute("data-tpi-question");
    var type = wrapper.getAttribute("data-tpi-type");
    var name = wrapper.getAttribute("data-tpi-name") || id;
    var inputs = inputsOf(wrapper, name);
    if (!inputs.length) { return undefined; }
    var first = inputs[0];
    if (type === "multichoice") {
      var picked = [];
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].type === "checkbox" && inputs[i].checked) { picked.push(inputs[i].value); }
        if (inputs[i].tagName === "SELECT") {
          for (var k = 0; k < inputs[i].options.length; k++) {
            if (inputs[i].options[k].selected) { picked.push(inputs[i].options[k].value); }
          }
        }
      }
      return picked;
    }
    var raw;
    if (first.type === "radio") {
      raw = undefined;
      for (var j = 0; j < inputs.length; j++) {
        if (inputs[j].checked) { raw = inputs[j].value; }
      }
    } else if (first.type === "checkbox") {
      if (type === "boolean") { return first.checked; }
      raw = first.checked ? first.value : undefined;
    } else {
      raw = first.value;
    }
    if (raw === undefined || raw === null || raw === "") { return undefined; }
    if (type === "boolean") {
      var key = String(raw).toLowerCase();
      if (key in TRUE_WORDS) { return true; }
      if (key in FALSE_WORDS) { return false; }
      return undefined;
    }
    if (type === "integer") {
      var n = Number(raw);
      return isFinite(n) && Math.floor(n) === n ? n : undefined;
    }
    return String(raw);
  }

  function daysBetween(isoDate, today) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
    if (!parts) { return NaN; }
    var then = Date.UTC(+parts[1], +parts[2] - 1, +parts[3]);
    var now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
    return Math.round((now - then) / 86400000);
  }

  function contains(list, item) {
    for (var i = 0; i < list.length; i++) {
      if (list[i] === item) { return true; }
    }
    return false;
  }

  /* Mirror of tpi_forms.conditions.evaluate over JSON-shaped answers and plan. */
  function evaluate(cond, answers, plan, today) {
    var i;
    if (cond.all) {
      for (i = 0; i < cond.all.length; i++) {
        if (!evaluate(cond.all[i], answers, plan, today)) { return false; }
      }
      return true;
    }
    if (cond.any) {
      for (i = 0; i < cond.any.length; i++) {
        if (evaluate(cond.any[i], answers, plan, today)) { return true; }
      }
      return false;
    }
    if (cond.not) { return !evaluate(cond.not, answers, plan, today); }
    var source = "question" in cond ? "question" : "plan";
    var values = source === "question" ? answers : plan;
    var name = cond[source];
    var op = null;
    for (var key in cond) {
      if (Object.prototype.hasOwnProperty.call(cond, key) && key !== source) { op = key; }
    }
    var expected = cond[op];
    var present = Object.prototype.hasOwnProperty.call(values, name) &&
      values[name] !== null && values[name] !== undefined;
    if (op === "answered") { return present === expected; }
    if (!present) { return false; }
    var actual = values[name];
    switch (op) {
      case "equals": return actual === expected;
      case "not_equals": return actual !== expected;
      case "in": return contains(expected, actual);
      case "at_least": return actual >= expected;
      case "at_most": return actual <= expected;
      case "less_than": return actual < expected;
      case "greater_than": return actual > expected;
      case "includes": return contains(actual, expected);
      case "includes_any":
        for (i = 0; i < expected.length; i++) {
          if (contains(actual, expected[i])) { return true; }
        }
        return false;
      case "excludes": return !contains(actual, expected);
      case "subset_of":
        for (i = 0; i < actual.length; i++) {
          if (!contains(expected, actual[i])) { return false; }
        }
        return true;
      case "within_days":
        var d = daysBetween(actual, today);
        return d >= 0 && d < expected;
      default: return false;
    }
  }

  function parseJson(text, fallback) {
    if (!text) { return fallback; }
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  function setEnabled(wrapper, enabled) {
    wrapper.hidden = !enabled;
    var inputs = wrapper.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i++) { inputs[i].disabled = !enabled; }
  }

  /* Show the questions whose condition holds and disable (so do not submit) the others. */
  function applyConditions(form) {
    var plan = parseJson(form.getAttribute("data-tpi-plan"), {});
    var todayAttr = form.getAttribute("data-tpi-today");
    var today = todayAttr ? new Date(todayAttr + "T12:00:00") : new Date();
    var answers = {};
    var wrappers = form.querySelectorAll("[data-tpi-question]");
    for (var i = 0; i < wrappers.length; i++) {
      var w = wrappers[i];
      var cond = parseJson(w.getAttribute("data-tpi-enable-when"), null);
      var enabled = cond === null || evaluate(cond, answers, plan, today);
      setEnabled(w, enabled);
      if (enabled) {
        var value = readAnswer(w);
        if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
          answers[w.getAttribute("data-tpi-question")] = value;
        }
      }
    }
  }

  /* One section per step, with back/next and a progress indicator. */
  function Steps(form) {
    this.form = form;
    this.steps = form.querySelectorAll("[data-tpi-step]");
    this.progress = form.querySelector("[data-tpi-progress]");
    this.progressText = form.querySelector("[data-tpi-progress-text]");
    this.back = form.querySelector("[data-tpi-back]");
    this.next = form.querySelector("[data-tpi-next]");
    this.submit = form.querySelector("[data-tpi-submit]");
    this.nav = form.querySelector("[data-tpi-nav]");
    this.index = 0;
    var self = this;
    if (this.nav) { this.nav.hidden = false; }
    if (this.progress) { this.progress.hidden = false; }
    if (this.back) { this.back.addEventListener("click", function () { self.go(self.index - 1, true); }); }
    if (this.next) { this.next.addEventListener("click", function () { self.go(self.index + 1, true); }); }
    var start = 0;
    for (var i = 0; i < this.steps.length; i++) {
      if (this.steps[i].querySelector("[data-tpi-has-error]")) { start = i; break; }
    }
    this.go(start, false);
  }

  Steps.prototype.stepOf = function (element) {
    for (var i = 0; i < this.steps.length; i++) {
      if (this.steps[i].contains(element)) { return i; }
    }
    return -1;
  };

  Steps.prototype.go = function (index, moveFocus) {
    var n = this.steps.length;
    if (index < 0 || index >= n) { return; }
    this.index = index;
    for (var i = 0; i < n; i++) { this.steps[i].hidden = i !== index; }
    var last = index === n - 1;
    if (this.back) { this.back.hidden = index === 0; }
    if (this.next) { this.next.hidden = last; }
    if (this.submit) { this.submit.hidden = !last; }
    if (this.progress) {
      var bar = this.progress.querySelector("progress");
      if (bar) { bar.max = n; bar.value = index + 1; }
    }
    if (this.progressText) {
      var pattern = this.progressText.getAttribute("data-tpi-pattern") || "{n} / {total}";
      this.progressText.textContent = pattern.replace("{n}", String(index + 1))
        .replace("{total}", String(n));
    }
    this.form.setAttribute("data-tpi-current-step", String(index + 1));
    if (moveFocus) {
      var heading = this.steps[index].querySelector("[data-tpi-step-heading]");
      if (heading) {
        heading.focus();
        if (heading.scrollIntoView) { heading.scrollIntoView({ block: "start" }); }
      }
    }
  };

  function linkErrorSummary(root, steps) {
    var links = root.querySelectorAll("[data-tpi-error-summary] a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener("click", function (e) {
        var target = document.getElementById(this.getAttribute("href").slice(1));
        if (!target) { return; }
        e.preventDefault();
        if (steps) {
          var idx = steps.stepOf(target);
          if (idx >= 0) { steps.go(idx, false); }
        }
        target.focus();
      });
    }
    var summary = root.querySelector("[data-tpi-error-summary]");
    if (summary && summary.getAttribute("data-tpi-focus") === "1") { summary.focus(); }
  }

  function init(form) {
    if (form.getAttribute("data-tpi-ready")) { return; }
    form.setAttribute("data-tpi-ready", "1");
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    form.addEventListener("input", function () { applyConditions(form); });
    var steps = form.hasAttribute("data-tpi-steps") ? new Steps(form) : null;
    linkErrorSummary(form, steps);
  }

  function initAll() {
    var forms = document.querySelectorAll("form[data-tpi-form]");
    for (var i = 0; i < forms.length; i++) { init(forms[i]); }
  }

  // For portals that add questions after load, and for tests of the condition mirror.
  window.tpiForms = { evaluate: evaluate, init: init };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
