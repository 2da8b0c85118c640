// Draws the dashboard's charts from the data the page embeds with json_script. Every data element
// holds {"labels": [...], "values": [...]}: labels are "YYYY-MM-DD" days (or "YYYY-MM" months for
// the monthly chart), values are dollar amounts. A chart whose data element is absent (the P&L
// charts until the P&L engine has run) is not drawn.
//
//   net-liq-data        -> #net-liq-chart         line: net liquidating value per day
//   monthly-pnl-data    -> #monthly-pnl-chart     bars: realized P&L per month
//   cumulative-pnl-data -> #cumulative-pnl-chart  line: running total of realized P&L per day
//   pnl-calendar-data   -> #pnl-calendar-chart    heatmap: realized P&L per trading day
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
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

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

  // A calendar heatmap drawn as a scatter of squares: one column per week, one row per weekday,
  // green for a gain and red for a loss, stronger for bigger amounts.
  function calendarChart(canvas, series) {
    const days = series.labels.map((label) => new Date(label + "T00:00:00Z"));
    if (!days.length) return null;
    const first = new Date(days[0]);
    first.setUTCDate(first.getUTCDate() - ((first.getUTCDay() + 6) % 7)); // the Monday of the first week
    const points = days.map((day, i) => ({
      x: Math.floor((day - first) / (7 * 86400000)),
      y: (day.getUTCDay() + 6) % 7,
      value: series.values[i],
      label: series.labels[i],
    }));
    const weeks = Math.max(...points.map((p) => p.x)) + 1;
    const rows = points.some((p) => p.y > 4) ? 7 : 5;
    const biggest = Math.max(...points.map((p) => Math.abs(p.value)), 1);
    const shade = (value) => {
      const strength = Math.round(64 + 191 * Math.min(1, Math.abs(value) / biggest));
      const alpha = strength.toString(16).padStart(2, "0");
      return (value < 0 ? LOSS : GAIN) + alpha;
    };
    const cellRadius = (context) => {
      const area = context.chart.chartArea;
      if (!area) return 3;
      const half = Math.min(area.width / weeks, area.height / rows) / 2 - 1;
      return Math.max(1, half) / Math.SQRT1_2; // a "rect" point reaches radius * SQRT1_2 each way
    };
    const options = baseOptions();
    options.aspectRatio = Math.max(1.5, Math.min(6, weeks / rows));
    options.plugins.tooltip.callbacks.label = (item) =>
      item.raw.label + ": " + money.format(item.raw.value);
    options.scales = {
      x: {
        min: -0.5,
        max: weeks - 0.5,
        grid: { display: false },
        afterBuildTicks: (axis) => {
          axis.ticks = Array.from({ length: weeks }, (_, week) => ({ value: week }));
        },
        ticks: {
          autoSkip: false,
          maxRotation: 0,
          callback: (week) => {
            const monday = new Date(first.getTime() + week * 7 * 86400000);
            return monday.getUTCDate() <= 7 ? monday.toLocaleString("en-US", { month: "short", timeZone: "UTC" }) : "";
          },
        },
      },
      y: {
        min: -0.5,
        max: rows - 0.5,
        reverse: true,
        grid: { display: false },
        afterBuildTicks: (axis) => {
          axis.ticks = Array.from({ length: rows }, (_, day) => ({ value: day }));
        },
        ticks: { callback: (day) => WEEKDAYS[day] || "" },
      },
    };
    return new Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          {
            data: points,
            pointStyle: "rect",
            backgroundColor: points.map((p) => shade(p.value)),
            borderWidth: 0,
            pointRadius: cellRadius,
            pointHoverRadius: cellRadius,
          },
        ],
      },
      options: options,
    });
  }

  const charts = [
    ["net-liq-data", "net-liq-chart", lineChart],
    ["monthly-pnl-data", "monthly-pnl-chart", barChart],
    ["cumulative-pnl-data", "cumulative-pnl-chart", lineChart],
    ["pnl-calendar-data", "pnl-calendar-chart", calendarChart],
  ];
  charts.forEach(([dataId, canvasId, draw]) => {
    const series = read(dataId);
    const canvas = document.getElementById(canvasId);
    if (series && canvas && series.labels.length) draw(canvas, series);
  });
})();
