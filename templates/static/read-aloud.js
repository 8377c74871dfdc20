/* tpi_forms read-aloud: a "Listen" button reads part of the page with the device's own voice.
 *
 * Plain JavaScript, no inline code (CSP script-src 'self'). Any page may use it. Markup: a button
 * with data-tpi-read-aloud="<id of the element to read>", data-tpi-listen-label and
 * data-tpi-stop-label (its words), a [data-tpi-read-aloud-label] child for the words, and the
 * hidden attribute. The button is shown only when speechSynthesis has a voice on this device for
 * the language of what it reads (the closest lang attribute); voices often arrive late, so it
 * looks again on "voiceschanged". Only voices the browser says are local (localService) are used:
 * the words are spoken by the device and sent nowhere.
 *
 * What is read: the visible text of the element, block by block, without its buttons and form
 * controls; speaking stops when the button is pressed again, another one is, or a step changes.
 */
(function () {
  "use strict";

  var synth = window.speechSynthesis;
  var SKIP = "button, input, select, textarea, script, style, template, [aria-hidden='true']," +
    " [data-tpi-read-aloud]";
  var current = null;  // { button, utterance } being spoken

  function languageOf(element) {
    var holder = element.closest("[lang]");
    return (holder ? holder.getAttribute("lang") : "").toLowerCase().replace("_", "-");
  }

  /* A local voice for `lang` ("es" or "es-mx"): the same tag first, else the same language. */
  function voiceFor(lang) {
    if (!synth || !lang) { return null; }
    var voices = synth.getVoices() || [];
    var primary = lang.split("-")[0];
    var near = null;
    for (var i = 0; i < voices.length; i++) {
      var v = voices[i];
      if (v.localService !== true) { continue; }
      var tag = String(v.lang || "").toLowerCase().replace("_", "-");
      if (tag === lang) { return v; }
      if (!near && tag.split("-")[0] === primary) { near = v; }
    }
    return near;
  }

  function shown(element) {
    if (element.hidden) { return false; }
    if (element.checkVisibility) { return element.checkVisibility(); }
    return element.getClientRects().length > 0;
  }

  /* The visible text of `root`, one sentence per block (a pause between questions). */
  function textOf(root) {
    var parts = [];
    (function walk(node) {
      for (var child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) {
          parts.push(child.nodeValue);
        } else if (child.nodeType === 1 && !child.matches(SKIP) && shown(child)) {
          var block = window.getComputedStyle(child).display.indexOf("inline") !== 0;
          if (block) { parts.push("\n"); }
          walk(child);
          if (block) { parts.push("\n"); }
        }
      }
    })(root);
    var lines = parts.join("").split(/\n+/);
    var out = [];
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].replace(/\s+/g, " ").trim();
      if (line) { out.push(/[.?!:;]$/.test(line) ? line : line + "."); }
    }
    return out.join(" ");
  }

  function setLabel(button, speaking) {
    var label = button.querySelector("[data-tpi-read-aloud-label]") || button;
    var words = button.getAttribute(speaking ? "data-tpi-stop-label" : "data-tpi-listen-label");
    if (words) { label.textContent = words; }
    button.classList.toggle("tpi-listen--speaking", speaking);
  }

  function stop() {
    if (!current) { return; }
    var button = current.button;
    current = null;
    synth.cancel();
    setLabel(button, false);
  }

  function speak(button) {
    var target = document.getElementById(button.getAttribute("data-tpi-read-aloud"));
    var lang = target ? languageOf(target) : "";
    var voice = voiceFor(lang);
    if (!target || !voice) { return; }
    var utterance = new window.SpeechSynthesisUtterance(textOf(target));
    utterance.lang = lang;
    utterance.voice = voice;
    var mine = { button: button, utterance: utterance };
    utterance.onend = utterance.onerror = function () {
      if (current === mine) {
        current = null;
        setLabel(button, false);
      }
    };
    current = mine;
    setLabel(button, true);
    synth.speak(utterance);
  }

  /* Show each button whose text has a voice here; hide the others. */
  function refresh() {
    var buttons = document.querySelectorAll("[data-tpi-read-aloud]");
    for (var i = 0; i < buttons.length; i++) {
      var target = document.getElementById(buttons[i].getAttribute("data-tpi-read-aloud"));
      var usable = !!(target && voiceFor(languageOf(target)));
      if (!usable && current && current.button === buttons[i]) { stop(); }
      buttons[i].hidden = !usable;
    }
  }

  function start() {
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") { return; }  // stay hidden
    document.addEventListener("click", function (e) {
      var button = e.target.closest ? e.target.closest("button[data-tpi-read-aloud]") : null;
      if (!button) { return; }
      var again = current && current.button === button;
      stop();
      if (!again) { speak(button); }
    });
    document.addEventListener("tpi-step", stop);
    window.addEventListener("pagehide", stop);
    if (synth.addEventListener) {
      synth.addEventListener("voiceschanged", refresh);
    } else {
      synth.onvoiceschanged = refresh;
    }
    refresh();
  }

  window.tpiReadAloud = { refresh: refresh, textOf: textOf, stop: stop };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
