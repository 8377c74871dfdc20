/* tpi_forms questionnaire behaviour: conditional questions, one section per step, and each step
 * checked before Next with the server's rules.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). Without it the form still works: every
 * question is shown and the server re-validates (answers to questions not asked are dropped). With
 * it the server still decides: the checks here only spare the patient a round trip.
 *
 * A question wrapper carries data-tpi-question (its id), data-tpi-type and, when it is asked only
 * sometimes, data-tpi-enable-when: the condition as JSON, in the definition-file form. evaluate()
 * mirrors tpi_forms.conditions.evaluate. The wrapper also carries the rules of its question
 * (data-tpi-required and the type's definition keys: data-tpi-min, -max, -max-length,
 * -not-future, -max-age-years, -exclusive, -min-items); check() mirrors the normalisers of
 * tpi_forms.definitions.question_types, and the form's data-tpi-messages holds the
 * validation.* words of ui.<locale>.toml.
 *
 * Events for host scripts, on the form: "tpi-step" (detail.step, 1-based) after a step is shown.
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

  /* --- Checks before Next: the server's rules, from the wrapper's data-tpi-* attributes. --- */

  var INTEGER = /^[+-]?\d+$/;
  var ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

  function isLeap(y) { return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0; }

  function isRealDate(text) {
    var m = ISO_DATE.exec(text);
    if (!m) { return false; }
    var y = +m[1], month = +m[2], day = +m[3];
    var days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    return y >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1];
  }

  /* The ISO day `years` before `iso` (29 February becomes the 28th in a year that has none). */
  function yearsBefore(iso, years) {
    var m = ISO_DATE.exec(iso);
    var y = +m[1] - years;
    var day = m[2] === "02" && m[3] === "29" && !isLeap(y) ? "28" : m[3];
    return ("000" + y).slice(-4) + "-" + m[2] + "-" + day;
  }

  function isoToday(form) {
    var given = form.getAttribute("data-tpi-today");
    if (given && ISO_DATE.test(given)) { return given; }
    var d = new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" +
      ("0" + d.getDate()).slice(-2);
  }

  function numberAttr(wrapper, name) {
    var text = wrapper.getAttribute(name);
    return text === null || text === "" ? null : Number(text);
  }

  function problem(key, params) { return { key: key, params: params || {} }; }

  function optionLabel(wrapper, value) {
    var inputs = wrapper.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].value === value && inputs[i].labels && inputs[i].labels.length) {
        return inputs[i].labels[0].textContent.trim();
      }
    }
    return value;
  }

  function checkPicked(wrapper, inputs, required) {
    var picked = [];
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked) { picked.push(inputs[i].value); }
    }
    if (!picked.length) { return required ? [problem("required")] : []; }
    var found = [];
    var exclusive = parseJson(wrapper.getAttribute("data-tpi-exclusive"), []);
    for (var k = 0; k < exclusive.length; k++) {
      if (contains(picked, exclusive[k]) && picked.length > 1) {
        found.push(problem("exclusive", { label: optionLabel(wrapper, exclusive[k]) }));
      }
    }
    var least = numberAttr(wrapper, "data-tpi-min-items") || 0;
    if (picked.length < least) { found.push(problem("min_items", { min: least })); }
    return found;
  }

  function checkText(wrapper, type, text, today) {
    if (type === "integer") {
      if (!INTEGER.test(text)) { return [problem("integer")]; }
      var n = parseInt(text, 10);
      var lo = numberAttr(wrapper, "data-tpi-min"), hi = numberAttr(wrapper, "data-tpi-max");
      if ((lo !== null && n < lo) || (hi !== null && n > hi)) {
        return [problem("range", { min: lo, max: hi })];
      }
      return [];
    }
    if (type === "date") {
      if (!isRealDate(text)) { return [problem("date")]; }
      if (wrapper.hasAttribute("data-tpi-not-future") && text > today) { return [problem("future")]; }
      var years = numberAttr(wrapper, "data-tpi-max-age-years");
      if (years !== null && text < yearsBefore(today, years)) {
        return [problem("too_old", { years: years })];
      }
      return [];
    }
    var longest = numberAttr(wrapper, "data-tpi-max-length");
    if (longest !== null && Array.from(text).length > longest) {
      return [problem("too_long", { max: longest })];
    }
    return [];
  }

  /* Every rule the question's answer breaks, as {key, params}: validation.<key> messages. */
  function check(wrapper, today) {
    var type = wrapper.getAttribute("data-tpi-type");
    var required = wrapper.hasAttribute("data-tpi-required");
    var inputs = inputsOf(wrapper, wrapper.getAttribute("data-tpi-name") ||
      wrapper.getAttribute("data-tpi-question"));
    if (!inputs.length) { return []; }
    var first = inputs[0];
    if (first.type === "checkbox" && type !== "boolean") { return checkPicked(wrapper, inputs, required); }
    if (first.type === "radio" || first.type === "checkbox") {
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].checked) { return []; }
      }
      return required ? [problem("required")] : [];
    }
    if (first.validity && first.validity.badInput) {  // half a date, a lone "-" in a number box
      return [problem(type === "date" ? "date" : type === "integer" ? "integer" : "string")];
    }
    var text = String(first.value).trim();
    if (!text) { return required ? [problem("required")] : []; }
    return checkText(wrapper, type, text, today);
  }

  function messageOf(form, found) {
    var words = form.tpiMessages || (form.tpiMessages = parseJson(form.getAttribute("data-tpi-messages"), {}));
    var text = words[found.key] || found.key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      var value = found.params[name];
      return value === undefined || value === null ? all : String(value);
    });
  }

  function controlsOf(wrapper) {
    return wrapper.querySelectorAll("input:not([type=hidden]), select, textarea");
  }

  function setTokens(element, attribute, token, on) {
    if (!element) { return; }
    var tokens = (element.getAttribute(attribute) || "").split(/\s+/).filter(function (t) {
      return t && t !== token;
    });
    if (on) { tokens.push(token); }
    if (tokens.length) { element.setAttribute(attribute, tokens.join(" ")); } else { element.removeAttribute(attribute); }
  }

  /* Show `messages` beside the question (the markup the server draws), or clear its errors. */
  function showErrors(form, wrapper, messages) {
    var field = wrapper.getAttribute("data-tpi-field") || wrapper.getAttribute("data-tpi-question");
    var errorId = field + "-error";
    var old = wrapper.querySelectorAll(".tpi-error-message");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.removeChild(old[i]); }
    var controls = controlsOf(wrapper);
    var described = wrapper.querySelector("fieldset") || controls[0];
    wrapper.tpiErrors = messages;
    wrapper.classList.toggle("tpi-question--error", messages.length > 0);
    for (var k = 0; k < controls.length; k++) {
      if (messages.length) { controls[k].setAttribute("aria-invalid", "true"); } else { controls[k].removeAttribute("aria-invalid"); }
    }
    setTokens(described, "aria-describedby", errorId, messages.length > 0);
    if (!messages.length) {
      wrapper.removeAttribute("data-tpi-has-error");
      forgetServerError(form, controls[0]);
      return;
    }
    var p = document.createElement("p");
    p.className = "tpi-error-message";
    p.id = errorId;
    var prefix = form.getAttribute("data-tpi-error-prefix") || "";
    for (var m = 0; m < messages.length; m++) {
      if (prefix) {
        var hidden = document.createElement("span");
        hidden.className = "tpi-visually-hidden";
        hidden.textContent = prefix + " ";
        p.appendChild(hidden);
      }
      p.appendChild(document.createTextNode(messages[m] + (m < messages.length - 1 ? " " : "")));
    }
    var before = wrapper.querySelector(".tpi-options, .tpi-input, .tpi-textarea, select") || controls[0];
    before.parentNode.insertBefore(p, before);
  }

  /* Drop the server summary's line about a question now fixed (and the summary once empty). */
  function forgetServerError(form, control) {
    var summary = form.querySelector("[data-tpi-error-summary]");
    if (!summary || !control) { return; }
    var links = summary.querySelectorAll("a[href='#" + control.id + "']");
    for (var i = 0; i < links.length; i++) {
      var item = links[i].closest("li");
      if (item) { item.parentNode.removeChild(item); }
    }
    if (!summary.querySelector("li")) { summary.hidden = true; }
  }

  function summaryOf(form, container) {
    var all = form.querySelectorAll("[data-tpi-check-summary]");
    var own = container === form ? null : container;
    for (var i = 0; i < all.length; i++) {
      if (all[i].closest("[data-tpi-step]") === own) { return all[i]; }
    }
    return null;
  }

  function targetOf(wrapper) { return controlsOf(wrapper)[0] || null; }

  /* Rebuild the container's summary from the errors its visible questions show now. */
  function refreshSummary(form, container) {
    var summary = summaryOf(form, container);
    if (!summary) { return; }
    var list = summary.querySelector("ul");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var wrappers = container.querySelectorAll("[data-tpi-question]");
    for (var i = 0; i < wrappers.length; i++) {
      var w = wrappers[i], errors = w.tpiErrors || [], target = targetOf(w);
      if (w.hidden || !errors.length || !target) { continue; }
      var label = (w.getAttribute("data-tpi-label") || "").replace(/\s+$/, "");
      var joiner = /[?:\u00bf]$/.test(label) ? " " : ": ";
      for (var k = 0; k < errors.length; k++) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + target.id;
        link.textContent = label + joiner + errors[k];
        item.appendChild(link);
        list.appendChild(item);
      }
    }
    summary.hidden = !list.firstChild;
  }

  /* Check the visible questions in `container`; returns the first with a problem, or null. */
  function checkWithin(form, container) {
    var today = isoToday(form);
    var wrappers = container.querySelectorAll("[data-tpi-question]");
    var first = null;
    for (var i = 0; i < wrappers.length; i++) {
      var w = wrappers[i];
      if (w.hidden) { continue; }
      var found = check(w, today);
      var messages = [];
      for (var k = 0; k < found.length; k++) { messages.push(messageOf(form, found[k])); }
      showErrors(form, w, messages);
      if (messages.length && !first) { first = w; }
    }
    refreshSummary(form, container);
    return first;
  }

  function focusProblem(wrapper) {
    var target = targetOf(wrapper);
    if (target) { target.focus(); }
  }

  /* After a change, re-check a question already marked wrong (never flag one not yet checked). */
  function recheck(form, event) {
    var wrapper = event.target && event.target.closest ? event.target.closest("[data-tpi-question]") : null;
    var marked = wrapper && ((wrapper.tpiErrors && wrapper.tpiErrors.length) ||
      wrapper.hasAttribute("data-tpi-has-error"));
    if (marked) {
      var found = check(wrapper, isoToday(form)), messages = [];
      for (var k = 0; k < found.length; k++) { messages.push(messageOf(form, found[k])); }
      showErrors(form, wrapper, messages);
    }
    var steps = form.tpiSteps;
    refreshSummary(form, steps ? steps.steps[steps.index] : form);
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
    form.tpiSteps = this;
    var self = this;
    if (this.nav) { this.nav.hidden = false; }
    if (this.progress) { this.progress.hidden = false; }
    if (this.back) { this.back.addEventListener("click", function () { self.go(self.index - 1, true); }); }
    if (this.next) { this.next.addEventListener("click", function () { self.forward(); }); }
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

  /* Next: only when this step's answers pass the checks; else show them and stay. */
  Steps.prototype.forward = function () {
    var problem = checkWithin(this.form, this.steps[this.index]);
    if (problem) {
      focusProblem(problem);
      return false;
    }
    this.go(this.index + 1, true);
    return true;
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
    this.form.dispatchEvent(new CustomEvent("tpi-step", { bubbles: true, detail: { step: index + 1 } }));
  };

  /* Summary links (the server's and the page script's) open the step of the field and focus it. */
  function linkErrorSummaries(form) {
    form.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a[href^='#']") : null;
      if (!link || !link.closest("[data-tpi-error-summary], [data-tpi-check-summary]")) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      e.preventDefault();
      var steps = form.tpiSteps;
      if (steps) {
        var idx = steps.stepOf(target);
        if (idx >= 0 && idx !== steps.index) { steps.go(idx, false); }
      }
      target.focus();
    });
    var summary = form.querySelector("[data-tpi-error-summary]");
    if (summary && summary.getAttribute("data-tpi-focus") === "1") { summary.focus(); }
  }

  var RETRY_AFTER_MS = 20000;  // a send that hangs (dropped connection) may be tried again

  function setSending(form, on) {
    var buttons = form.querySelectorAll("[data-tpi-submit]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = on; }
    if (on) { form.setAttribute("data-tpi-sending", "1"); } else { form.removeAttribute("data-tpi-sending"); }
  }

  /* Send only checked answers, and only once: a double tap does not post twice. */
  function guardSubmit(form) {
    form.addEventListener("submit", function (e) {
      var steps = form.tpiSteps;
      if (form.hasAttribute("data-tpi-sending")) {
        e.preventDefault();
        return;
      }
      if (steps && steps.index < steps.steps.length - 1) {  // Enter in a box on an early step
        e.preventDefault();
        steps.forward();
        return;
      }
      var containers = steps ? steps.steps : [form];
      var first = null;
      for (var i = 0; i < containers.length; i++) {
        var found = checkWithin(form, containers[i]);
        if (found && !first) { first = found; }
      }
      if (first) {
        e.preventDefault();
        if (steps) { steps.go(steps.stepOf(first), false); }
        focusProblem(first);
        return;
      }
      setSending(form, true);
      window.setTimeout(function () { setSending(form, false); }, RETRY_AFTER_MS);
    });
    window.addEventListener("pageshow", function () { setSending(form, false); });
  }

  function init(form) {
    if (form.getAttribute("data-tpi-ready")) { return; }
    form.setAttribute("data-tpi-ready", "1");
    applyConditions(form);
    var steps = form.hasAttribute("data-tpi-steps") ? new Steps(form) : null;
    function changed(e) {
      applyConditions(form);
      recheck(form, e);
    }
    form.addEventListener("change", changed);
    form.addEventListener("input", changed);
    linkErrorSummaries(form);
    guardSubmit(form);
    return steps;
  }

  function initAll() {
    var forms = document.querySelectorAll("form[data-tpi-form]");
    for (var i = 0; i < forms.length; i++) { init(forms[i]); }
  }

  /* Show step `number` (1-based) of a stepped form, e.g. where a restored draft left off. */
  function showStep(form, number) {
    var steps = form.tpiSteps;
    if (steps && number >= 1 && number <= steps.steps.length) { steps.go(number - 1, false); }
  }

  // For portals that add questions after load, for host scripts, and for tests of the mirrors.
  window.tpiForms = { evaluate: evaluate, check: check, init: init, showStep: showStep };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
