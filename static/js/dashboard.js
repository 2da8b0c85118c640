// Draws the dashboard's charts from the data the page embeds with json_script. Every data element
// holds {"labels": [...], "values": [...]}: labels are "YYYY-MM-DD" days (or "YYYY-MM" months for
// the monthly chart), values are dollar amounts. A chart whose data element is absent (the P&L
// charts until the P&L engine has run) is not drawn.
//
//   net-liq-data        -> #net-liq-chart         line: net liquidating value per day
//   monthly-pnl-data    -> #monthly-pnl-chart     bars: realized P&L per month
//   cumulative-pnl-data -> #cumulative-pnl-chart  line: running total of realized P&L per day
//
// The P&L calendar is plain HTML (templates/dashboard/includes/_month_grid.html), not a chart.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const LINE = color("--bs-primary", "#0d6efd");
  const GAIN = color("--bs-success", "#198754");
  const LOSS = color("--bs-danger", "#dc3545");
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  // Axis labels; `value || 0` turns Chart.js's -0 tick into "$0" rather than "-$0".
  const compact = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    notation: "compact",
    maximumFractionDigits: 1,
  });

  function read(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function baseOptions() {
    return {
      animation: false, // drawn at once: nothing moves for people who prefer less motion
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.4 : 2.4,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => money.format(item.parsed.y) } },
      },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { ticks: { callback: (value) => compact.format(value || 0) } },
      },
    };
  }

  function lineChart(canvas, series) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: series.labels,
        datasets: [
          {
            data: series.values,
            borderColor: LINE,
            backgroundColor: LINE + "22",
            fill: true,
            pointRadius: series.values.length > 60 ? 0 : 2,
            borderWidth: 2,
            tension: 0.1,
          },
        ],
      },
      options: baseOptions(),
    });
  }

  function barChart(canvas, series) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          {
            data: series.values,
            backgroundColor: series.values.map((value) => (value < 0 ? LOSS : GAIN)),
          },
        ],
      },
      options: baseOptions(),
    });
  }

  const charts = [
    ["net-liq-data", "net-liq-chart", lineChart],
    ["monthly-pnl-data", "monthly-pnl-chart", barChart],
    ["cumulative-pnl-data", "cumulative-pnl-chart", lineChart],
  ];
  charts.forEach(([dataId, canvasId, draw]) => {
    const series = read(dataId);
    const canvas = document.getElementById(canvasId);
    if (series && canvas && series.labels.length) draw(canvas, series);
  });
})();
