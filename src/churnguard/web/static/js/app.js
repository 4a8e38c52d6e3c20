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

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
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
