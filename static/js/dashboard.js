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
  const { money, moneyTick, axisTitle } = window.TrackerCharts;

  function read(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function baseOptions(titles) {
    return {
      animation: false, // drawn at once: nothing moves for people who prefer less motion
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.4 : 2.4,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => money.format(item.parsed.y) } },
      },
      scales: {
        x: { title: axisTitle(titles[0]), ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { title: axisTitle(titles[1]), ticks: { callback: moneyTick } },
      },
    };
  }

  function lineChart(canvas, series, titles) {
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
      options: baseOptions(titles),
    });
  }

  function barChart(canvas, series, titles) {
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
      options: baseOptions(titles),
    });
  }

  const charts = [
    ["net-liq-data", "net-liq-chart", lineChart, ["Day", "Net liquidating value ($)"]],
    ["monthly-pnl-data", "monthly-pnl-chart", barChart, ["Month", "Realized P&L ($)"]],
    ["cumulative-pnl-data", "cumulative-pnl-chart", lineChart, ["Day", "Realized P&L to date ($)"]],
  ];
  charts.forEach(([dataId, canvasId, draw, titles]) => {
    const series = read(dataId);
    const canvas = document.getElementById(canvasId);
    if (series && canvas && series.labels.length) draw(canvas, series, titles);
  });
})();
