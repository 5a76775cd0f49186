// Draws the funnel charts from the figures the server put in <script id="funnel-data" type="application/json">.
(function () {
  "use strict";
  var STATE_COLOURS = {
    new: "#64748b", validated: "#2563eb", qualified: "#7c3aed",
    converted: "#059669", rejected: "#dc2626", duplicate: "#d97706",
  };

  function draw() {
    var source = document.getElementById("funnel-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#334155";

    new Chart(document.getElementById("chart-weekly"), {
      type: "bar",
      data: {
        labels: data.weeks,
        datasets: data.states.map(function (s) {
          return { label: s.label, data: s.counts, backgroundColor: STATE_COLOURS[s.key] || "#94a3b8" };
        }),
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    new Chart(document.getElementById("chart-sources"), {
      type: "bar",
      data: { labels: data.sources, datasets: [{ label: "Converted (%)", data: data.sourceRates, backgroundColor: "#059669" }] },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { beginAtZero: true, max: 100 } }, plugins: { legend: { display: false } },
      },
    });
    new Chart(document.getElementById("chart-reasons"), {
      type: "bar",
      data: { labels: data.reasons, datasets: [{ label: "Rejected leads", data: data.reasonCounts, backgroundColor: "#dc2626" }] },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
