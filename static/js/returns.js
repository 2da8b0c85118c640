// Draws the Returns report's three charts from its json_script data:
//   returns-data = {"days": ["2025-06-02", ...], "cumulative": [percent, ...], "drawdown": [percent <= 0, ...],
//                   "months": ["2025-06", ...], "monthly": [percent, ...]}
//   -> #returns-cumulative-chart: the time-weighted return since the first day (line)
//   -> #returns-drawdown-chart:   the fall from the previous high (filled area, 0 at the top)
//   -> #returns-monthly-chart:    each month's return (bars, green up, red down)
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const source = document.getElementById("returns-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const GAIN = color("--bs-success", "#198754");
  const LOSS = color("--bs-danger", "#dc3545");
  const LINE = color("--bs-primary", "#0d6efd");
  const phone = window.innerWidth < 576;
  // -0 would print as "-0%"; `value || 0` makes it "0%".
  const percent = (value, digits) => (value || 0).toFixed(digits) + "%";

  function options(xTitle, yTitle, aspectRatio) {
    return {
      animation: false,
      responsive: true,
      aspectRatio: aspectRatio,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + percent(item.parsed.y, 2) } },
      },
      scales: {
        x: { title: { display: true, text: xTitle }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { title: { display: true, text: yTitle }, ticks: { callback: (value) => percent(value, 1) } },
      },
    };
  }

  const cumulative = document.getElementById("returns-cumulative-chart");
  if (cumulative) {
    new Chart(cumulative, {
      type: "line",
      data: {
        labels: data.days,
        datasets: [
          {
            label: "Cumulative return",
            data: data.cumulative,
            borderColor: LINE,
            backgroundColor: LINE,
            pointRadius: data.days.length > 60 ? 0 : 2,
            borderWidth: 2,
          },
        ],
      },
      options: options("Trading day", "Return since the first day", phone ? 1.3 : 2),
    });
  }

  const drawdown = document.getElementById("returns-drawdown-chart");
  if (drawdown) {
    const drawdownOptions = options("Trading day", "Below the previous high", phone ? 1.3 : 2);
    drawdownOptions.scales.y.max = 0;
    new Chart(drawdown, {
      type: "line",
      data: {
        labels: data.days,
        datasets: [
          {
            label: "Drawdown",
            data: data.drawdown,
            borderColor: LOSS,
            backgroundColor: LOSS + "40",
            fill: "origin",
            pointRadius: 0,
            borderWidth: 1,
          },
        ],
      },
      options: drawdownOptions,
    });
  }

  const monthly = document.getElementById("returns-monthly-chart");
  if (monthly) {
    new Chart(monthly, {
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          {
            label: "Return",
            data: data.monthly,
            backgroundColor: data.monthly.map((value) => (value < 0 ? LOSS : GAIN)),
          },
        ],
      },
      options: options("Month", "Return in the month", phone ? 1.3 : 4),
    });
  }
})();
