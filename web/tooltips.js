/*
 * benchvault's one script: tooltips on trend charts.  A chart image with a
 * data-points attribute names its JSON sidecar (/p/P/charts/trend.json?...):
 * where each point is drawn, in the chart's CSS pixels, and what to say
 * about it.  Hovering near a point shows its value, interval, commit and
 * time; clicking opens its run.  Progressive: without this script (or in a
 * static report) the page is whole, and the runs table links every run.
 * Text is set with textContent only: nothing from the data becomes markup.
 */
"use strict";
(function () {
  var RADIUS = 14; /* CSS pixels within which a point counts as hovered */
  var tip = null;

  function tipElement() {
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "tip";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      document.body.appendChild(tip);
    }
    return tip;
  }

  function line(parent, text, strong) {
    var e = document.createElement(strong ? "strong" : "div");
    e.textContent = text;
    parent.appendChild(e);
  }

  function nearest(img, data, ev) {
    var box = img.getBoundingClientRect();
    var kx = data.width / box.width, ky = data.height / box.height;
    var x = (ev.clientX - box.left) * kx, y = (ev.clientY - box.top) * ky;
    var best = null, bestd = RADIUS * RADIUS * kx * ky;
    data.points.forEach(function (p) {
      var d = (p.x - x) * (p.x - x) + (p.y - y) * (p.y - y);
      if (d <= bestd) {
        bestd = d;
        best = p;
      }
    });
    return best;
  }

  function show(p, ev) {
    var t = tipElement();
    t.textContent = "";
    line(t, p.value + (p.ci ? "  (" + p.ci + ")" : ""), true);
    if (p.commit) line(t, "commit " + p.commit.slice(0, 12));
    if (p.time) line(t, p.time.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC"));
    line(t, "run " + p.run + " (click to open)");
    t.hidden = false;
    t.style.left = (window.scrollX + ev.clientX + 14) + "px";
    t.style.top = (window.scrollY + ev.clientY + 14) + "px";
  }

  function hide(img) {
    if (tip) tip.hidden = true;
    img.style.cursor = "";
  }

  function attach(img, data) {
    if (!data || !Array.isArray(data.points) || !data.width) return;
    img.addEventListener("mousemove", function (ev) {
      var p = nearest(img, data, ev);
      if (!p) return hide(img);
      img.style.cursor = "pointer";
      show(p, ev);
    });
    img.addEventListener("mouseleave", function () { hide(img); });
    img.addEventListener("click", function (ev) {
      var p = nearest(img, data, ev);
      if (p && typeof p.href === "string" && p.href.charAt(0) === "/")
        window.location.href = p.href;
    });
  }

  function init() {
    var imgs = document.querySelectorAll("img[data-points]");
    Array.prototype.forEach.call(imgs, function (img) {
      fetch(img.getAttribute("data-points"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { attach(img, data); })
        .catch(function () { /* no tooltips: the page is whole anyway */ });
    });
  }

  if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", init);
  else
    init();
})();
