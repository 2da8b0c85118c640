// Draws the Money in/out page's chart from its json_script data:
//   transfers-data = {"labels": ["2025-06-02", ...], "contributions": [number, ...], "net_liq": [number or null, ...]}
//   -> #transfers-chart: net contributions to date (a step line) and net liquidating value (a line that bridges
//      days without a point)
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const source = document.getElementById("transfers-data");
  const canvas = document.getElementById("transfers-chart");
  if (!source || !canvas) return;
  const data = JSON.parse(source.textContent);
  if (!data.labels.length) return;

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const { money, moneyTick, axisTitle } = window.TrackerCharts;
  const many = data.labels.length > 60;

  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: "Net liquidating value",
          data: data.net_liq,
          borderColor: color("--bs-primary", "#0d6efd"),
          backgroundColor: color("--bs-primary", "#0d6efd"),
          pointRadius: many ? 0 : 2,
          borderWidth: 2,
          spanGaps: true,
        },
        {
          label: "Net contributions",
          data: data.contributions,
          borderColor: color("--bs-secondary", "#6c757d"),
          backgroundColor: color("--bs-secondary", "#6c757d"),
          stepped: "before",
          pointRadius: 0,
          borderWidth: 2,
          borderDash: [6, 4],
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.2 : 3,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => (item.parsed.y === null ? null : item.dataset.label + ": " + money.format(item.parsed.y)),
          },
        },
      },
      scales: {
        x: { title: axisTitle("Day"), ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { title: axisTitle("Dollars"), ticks: { callback: moneyTick } },
      },
    },
  });
})();
