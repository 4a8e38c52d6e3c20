/* churnguard pages: draw ECharts charts from data-option attributes; re-draw after htmx swaps. */
(function () {
  "use strict";
  var charts = [];

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    (root || document).querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn || el.offsetParent === null) { return; }  /* hidden: drawn when shown */
      try {
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption(JSON.parse(el.dataset.option));
        el.dataset.drawn = "1";
        charts.push(chart);
        if (el.dataset.drill) { drillOnClick(chart, el); }
      } catch (err) {
        el.textContent = "chart error: " + err.message;
      }
    });
  }

  function resize() { charts.forEach(function (c) { c.resize(); }); }

  /* Drill-through: a click on a point, bar, cell, node or flow opens the customers behind it
     (/dashboard/customers with the page's month and filters and the point's parameters). */
  function drillOnClick(chart, el) {
    var drill = JSON.parse(el.dataset.drill);
    var base = JSON.parse(el.dataset.drillBase || "{}");
    chart.on("click", function (p) {
      var q = Object.assign({}, base, (drill.series || [])[p.seriesIndex] || {});
      var part = null;
      if (p.dataType === "edge") { part = (drill.edges || [])[p.dataIndex]; }
      else if (p.dataType === "node") { part = (drill.nodes || [])[p.dataIndex]; }
      else if (drill.items) { part = drill.items[p.dataIndex]; }
      else if (drill.x) { part = drill.x[p.dataIndex]; }
      Object.assign(q, part || {});
      if (!q.view) { return; }
      Object.keys(q).forEach(function (k) { if (q[k] === "" || q[k] === null) { delete q[k]; } });
      window.location.assign("/dashboard/customers?" + new URLSearchParams(q).toString());
    });
  }

  /* Tabs that show one of several panels ([data-show] = the id of the panel to show). */
  function tabs(root) {
    root.querySelectorAll("[data-show]").forEach(function (tab) {
      tab.addEventListener("click", function (event) {
        event.preventDefault();
        tab.parentNode.querySelectorAll("[data-show]").forEach(function (other) {
          var panel = document.getElementById(other.dataset.show);
          var on = other === tab;
          other.classList.toggle("active", on);
          other.setAttribute("aria-selected", on ? "true" : "false");
          if (panel) { panel.hidden = !on; }
        });
        draw(document.getElementById(tab.dataset.show));
        resize();
      });
    });
  }

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
    tabs(document);
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
