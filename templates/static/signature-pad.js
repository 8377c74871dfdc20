/* tpi_forms signature pad: plain JavaScript, no framework, no inline code (CSP script-src 'self').
 *
 * Markup (rendered by templates/partials/signer.html), one block per signer:
 *   [data-tpi-signer]                 the signer's fieldset
 *     input[data-tpi-sig-method]      radios "drawn" / "typed"
 *     [data-tpi-sigpad]               the drawing area (hidden until this script runs)
 *       canvas                        where the signer draws
 *       button[data-tpi-sig-undo]     removes the last stroke
 *       button[data-tpi-sig-clear]    removes every stroke
 *       [data-tpi-sig-status]         live status text ("2 strokes")
 *     input[data-tpi-sig-png]         hidden: PNG data URL of the drawing
 *     input[data-tpi-sig-strokes]     hidden: JSON strokes, coordinates normalised to 0..1
 *
 * Strokes are kept as normalised points, so the drawing is redrawn exactly after any resize or
 * rotation; the canvas backing store follows devicePixelRatio so lines stay sharp.
 */
(function () {
  "use strict";

  var EXPORT_WIDTH = 900;   // pixels of the exported PNG (its height follows the pad's aspect)
  var INK = "#000000";
  var MAX_STROKES = 200;
  var MAX_POINTS = 2000;    // per stroke

  function round4(v) {
    return Math.round(v * 10000) / 10000;
  }

  function clamp01(v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }

  function SignaturePad(root, block) {
    this.root = root;
    this.block = block;
    this.canvas = root.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.pngInput = block.querySelector("[data-tpi-sig-png]");
    this.strokesInput = block.querySelector("[data-tpi-sig-strokes]");
    this.status = root.querySelector("[data-tpi-sig-status]");
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.words = {
      empty: root.getAttribute("data-tpi-word-empty") || "",
      one: root.getAttribute("data-tpi-word-one") || "",
      many: root.getAttribute("data-tpi-word-many") || ""
    };
    this.restore();
    this.bind();
    this.resize();
    this.sync();
  }

  SignaturePad.prototype.restore = function () {
    // After a server round trip (a validation error elsewhere), keep what was drawn.
    var raw = this.strokesInput && this.strokesInput.value;
    if (!raw) { return; }
    try {
      var data = JSON.parse(raw);
      if (Array.isArray(data)) {
        this.strokes = data.filter(function (s) {
          return Array.isArray(s) && s.length > 0;
        }).slice(0, MAX_STROKES).map(function (s) {
          return s.slice(0, MAX_POINTS).map(function (p) {
            return [clamp01(Number(p[0]) || 0), clamp01(Number(p[1]) || 0)];
          });
        });
      }
    } catch (e) {
      this.strokes = [];
    }
  };

  SignaturePad.prototype.bind = function () {
    var self = this;
    var c = this.canvas;
    c.addEventListener("pointerdown", function (e) { self.down(e); });
    c.addEventListener("pointermove", function (e) { self.move(e); });
    c.addEventListener("pointerup", function (e) { self.up(e); });
    c.addEventListener("pointercancel", function (e) { self.up(e); });
    c.addEventListener("lostpointercapture", function (e) { self.up(e); });
    var undo = this.root.querySelector("[data-tpi-sig-undo]");
    var clear = this.root.querySelector("[data-tpi-sig-clear]");
    if (undo) { undo.addEventListener("click", function () { self.undo(); }); }
    if (clear) { clear.addEventListener("click", function () { self.clear(); }); }
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(function () { self.resize(); }).observe(c);
    }
    window.addEventListener("resize", function () { self.resize(); });
    window.addEventListener("orientationchange", function () { self.resize(); });
  };

  SignaturePad.prototype.point = function (e) {
    var r = this.canvas.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) { return null; }
    return [round4(clamp01((e.clientX - r.left) / r.width)),
            round4(clamp01((e.clientY - r.top) / r.height))];
  };

  SignaturePad.prototype.down = function (e) {
    if (this.pointerId !== null || (e.pointerType === "mouse" && e.button !== 0)) { return; }
    if (this.strokes.length >= MAX_STROKES) { return; }
    if (this.canvas.closest && this.canvas.closest("fieldset:disabled")) { return; }
    var p = this.point(e);
    if (!p) { return; }
    e.preventDefault();
    this.pointerId = e.pointerId;
    try { this.canvas.setPointerCapture(e.pointerId); } catch (err) { /* already released */ }
    this.current = [p];
    this.strokes.push(this.current);
    this.redraw();
  };

  SignaturePad.prototype.move = function (e) {
    if (e.pointerId !== this.pointerId || !this.current) { return; }
    e.preventDefault();
    var events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    if (!events.length) { events = [e]; }
    var ctx = this.ctx;
    var w = this.canvas.width;
    var h = this.canvas.height;
    style(ctx, w);
    ctx.beginPath();
    var last = this.current[this.current.length - 1];
    ctx.moveTo(last[0] * w, last[1] * h);
    for (var i = 0; i < events.length && this.current.length < MAX_POINTS; i++) {
      var p = this.point(events[i]);
      if (p) {
        this.current.push(p);
        ctx.lineTo(p[0] * w, p[1] * h);  // only the new segment; resize redraws everything
      }
    }
    ctx.stroke();
  };

  SignaturePad.prototype.up = function (e) {
    if (e.pointerId !== this.pointerId) { return; }
    this.pointerId = null;
    this.current = null;
    this.sync();
  };

  SignaturePad.prototype.undo = function () {
    this.strokes.pop();
    this.redraw();
    this.sync();
  };

  SignaturePad.prototype.clear = function () {
    this.strokes = [];
    this.redraw();
    this.sync();
  };

  SignaturePad.prototype.resize = function () {
    var c = this.canvas;
    var ratio = window.devicePixelRatio || 1;
    var w = Math.round(c.clientWidth * ratio);
    var h = Math.round(c.clientHeight * ratio);
    if (w <= 0 || h <= 0) { return; }
    if (c.width !== w || c.height !== h) {
      c.width = w;   // resets the bitmap: redraw from the stroke list
      c.height = h;
    }
    this.redraw();
  };

  function style(ctx, w) {
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(2, w * 0.006);
  }

  function paint(ctx, strokes, w, h) {
    ctx.clearRect(0, 0, w, h);
    style(ctx, w);
    for (var i = 0; i < strokes.length; i++) {
      var s = strokes[i];
      if (s.length === 1) {
        ctx.beginPath();
        ctx.arc(s[0][0] * w, s[0][1] * h, ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(s[0][0] * w, s[0][1] * h);
      for (var j = 1; j < s.length; j++) {
        ctx.lineTo(s[j][0] * w, s[j][1] * h);
      }
      ctx.stroke();
    }
  }

  SignaturePad.prototype.redraw = function () {
    paint(this.ctx, this.strokes, this.canvas.width, this.canvas.height);
  };

  SignaturePad.prototype.exportPng = function () {
    var c = this.canvas;
    var aspect = c.clientWidth > 0 ? c.clientHeight / c.clientWidth : 0.4;
    var out = document.createElement("canvas");
    out.width = EXPORT_WIDTH;
    out.height = Math.max(1, Math.round(EXPORT_WIDTH * aspect));
    paint(out.getContext("2d"), this.strokes, out.width, out.height);
    return out.toDataURL("image/png");
  };

  SignaturePad.prototype.sync = function () {
    var n = this.strokes.length;
    if (this.pngInput) { this.pngInput.value = n ? this.exportPng() : ""; }
    if (this.strokesInput) { this.strokesInput.value = n ? JSON.stringify(this.strokes) : ""; }
    this.root.setAttribute("data-tpi-stroke-count", String(n));
    if (this.status) {
      var word = n === 0 ? this.words.empty : n === 1 ? this.words.one : this.words.many;
      this.status.textContent = word.replace("{n}", String(n));
    }
  };

  function setMethod(block) {
    var checked = block.querySelector("[data-tpi-sig-method]:checked");
    var method = checked ? checked.value : "typed";
    var pad = block.querySelector("[data-tpi-sigpad]");
    var typed = block.querySelector("[data-tpi-sig-typed]");
    if (pad) { pad.hidden = method !== "drawn"; }
    if (typed) { typed.hidden = method !== "typed"; }
  }

  function setSigner(block) {
    // Fields that belong to one signer only (a representative's relationship to the patient).
    var checked = block.querySelector("[data-tpi-sig-signer]:checked");
    var parts = block.querySelectorAll("[data-tpi-sig-for]");
    for (var i = 0; i < parts.length; i++) {
      var show = !!checked && checked.value === parts[i].getAttribute("data-tpi-sig-for");
      parts[i].hidden = !show;
      var inputs = parts[i].querySelectorAll("input, select, textarea");
      for (var k = 0; k < inputs.length; k++) { inputs[k].disabled = !show; }
    }
  }

  function init(block) {
    if (block.getAttribute("data-tpi-ready")) { return; }
    block.setAttribute("data-tpi-ready", "1");
    var padRoot = block.querySelector("[data-tpi-sigpad]");
    var methods = block.querySelectorAll("[data-tpi-sig-method]");
    if (padRoot && padRoot.querySelector("canvas") && padRoot.querySelector("canvas").getContext) {
      // Drawing works here: enable it and offer it first, unless the signer already chose.
      var drawnRadio = block.querySelector("[data-tpi-sig-method][value=drawn]");
      if (drawnRadio) {
        drawnRadio.disabled = false;
        if (block.getAttribute("data-tpi-method-chosen") !== "1") { drawnRadio.checked = true; }
      }
      padRoot.hidden = false;
      block.tpiPad = new SignaturePad(padRoot, block);
    }
    for (var i = 0; i < methods.length; i++) {
      methods[i].addEventListener("change", function () {
        setMethod(block);
        if (block.tpiPad) { block.tpiPad.resize(); }
      });
    }
    var signers = block.querySelectorAll("[data-tpi-sig-signer]");
    for (var j = 0; j < signers.length; j++) {
      signers[j].addEventListener("change", function () { setSigner(block); });
    }
    setMethod(block);
    setSigner(block);
    if (block.tpiPad) { block.tpiPad.resize(); }
  }

  function initAll() {
    var blocks = document.querySelectorAll("[data-tpi-signer]");
    for (var i = 0; i < blocks.length; i++) { init(blocks[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
