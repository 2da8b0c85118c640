// Draws the Income page's chart from its json_script data:
//   income-data = {"labels": ["2025-06", ...], "dividends_received": [number, ...], "dividends_paid": [...],
//                  "interest_received": [...], "interest_paid": [...]}   (paid amounts are negative)
//   -> #income-chart: stacked bars per period, money in above zero and money out below it
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const source = document.getElementById("income-data");
  const canvas = document.getElementById("income-chart");
  if (!source || !canvas) return;
  const data = JSON.parse(source.textContent);
  if (!data.labels.length) return;

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const { money, moneyTick, axisTitle } = window.TrackerCharts;
  const series = [
    ["Dividends received", "dividends_received", color("--bs-success", "#198754")],
    ["Interest received", "interest_received", color("--bs-info", "#0dcaf0")],
    ["Dividends paid", "dividends_paid", color("--bs-danger", "#dc3545")],
    ["Interest paid", "interest_paid", color("--bs-warning", "#ffc107")],
  ];

  // Stacked bars: the axis spans each period's money in (above zero) and money out (below), in whole steps
  // from a $0 line, so the line between in and out is drawn and labelled.
  const y = { stacked: true, title: axisTitle("Received (+) and paid (-) ($)"), ticks: { callback: moneyTick } };
  const stackedIn = data.labels.map((_, index) => data.dividends_received[index] + data.interest_received[index]);
  const stackedOut = data.labels.map((_, index) => data.dividends_paid[index] + data.interest_paid[index]);
  TrackerCharts.alignZero([y], [stackedIn.concat(stackedOut)]);

  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: series.map(([label, key, fill]) => ({ label: label, data: data[key], backgroundColor: fill })),
    },
    options: {
      animation: false,
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.3 : 3.2,
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + money.format(item.parsed.y) } },
      },
      scales: {
        x: { stacked: true, title: axisTitle("Period"), ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: y,
      },
    },
  });
})();
