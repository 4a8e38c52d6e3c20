/* churnguard pages: draw ECharts charts from data-option attributes; re-draw after htmx swaps. */
(function () {
  "use strict";
  var charts = [];

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    (root || document).querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      try {
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption(JSON.parse(el.dataset.option));
        el.dataset.drawn = "1";
        charts.push(chart);
      } catch (err) {
        el.textContent = "chart error: " + err.message;
      }
    });
  }

  function resize() { charts.forEach(function (c) { c.resize(); }); }

  /* KPI definitions: [data-definition] buttons open their popover (a tap or click does it
     natively through popovertarget); a mouse also opens it on hover. The popover sits under
     its button, kept inside the viewport. */
  function placePopover(button, pop) {
    var r = button.getBoundingClientRect();
    var width = pop.offsetWidth;
    var left = Math.max(8, Math.min(r.left, window.innerWidth - width - 8));
    pop.style.left = left + "px";
    pop.style.top = (r.bottom + 6) + "px";
  }

  function definitions(root) {
    root.querySelectorAll("[data-definition]").forEach(function (button) {
      var pop = document.getElementById(button.getAttribute("popovertarget"));
      if (!pop || !pop.showPopover) { return; }
      var pinned = false;  /* a click or tap keeps it open until a tap elsewhere or Esc */
      pop.addEventListener("toggle", function (event) {
        if (event.newState === "open") { placePopover(button, pop); } else { pinned = false; }
      });
      button.addEventListener("click", function () { pinned = true; });
      button.addEventListener("pointerenter", function (event) {
        if (event.pointerType === "mouse" && !pop.matches(":popover-open")) { pop.showPopover(); }
      });
      button.addEventListener("pointerleave", function (event) {
        if (event.pointerType === "mouse" && !pinned && pop.matches(":popover-open")) {
          pop.hidePopover();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    definitions(document);
    var toggle = document.querySelector("[data-toggle-nav]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        document.getElementById("mainnav").classList.toggle("open");
      });
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  window.addEventListener("resize", resize);
}());
