// The payoff diagram: P&L at expiration and today over a range of the underlying's prices, with today's
// price and the breakevens marked. Data:
//   {prices: [...], expiration: [...], today: [...], price: 512.3, breakevens: [...], expires_on: "YYYY-MM-DD"}
// The payoff page reads it from json_script "payoff-data"; the Positions page's panels (positions.js) fetch it
// from dashboard:payoff_data and call window.TrackerPayoff.draw(canvas, data).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  function draw(canvas, data) {
    const css = getComputedStyle(document.documentElement);
    const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    const { money, moneyTick, axisTitle } = window.TrackerCharts;
    const points = (values) => data.prices.map((price, index) => ({ x: price, y: values[index] }));
    const all = data.expiration.concat(data.today);
    const low = Math.min(0, ...all);
    const high = Math.max(0, ...all);
    const vertical = (x) => [
      { x: x, y: low },
      { x: x, y: high },
    ];

    const chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: "At expiration (" + data.expires_on + ")",
            data: points(data.expiration),
            borderColor: color("--bs-primary", "#0d6efd"),
            borderWidth: 2,
            pointRadius: 0,
          },
          {
            label: "Today",
            data: points(data.today),
            borderColor: color("--bs-warning", "#ffc107"),
            borderDash: [6, 4],
            borderWidth: 2,
            pointRadius: 0,
          },
          {
            label: "Today's price",
            data: vertical(data.price),
            borderColor: color("--bs-secondary", "#6c757d"),
            borderWidth: 1,
            pointRadius: 0,
          },
          {
            label: "Breakevens",
            data: data.breakevens.map((x) => ({ x: x, y: 0 })),
            showLine: false,
            pointRadius: 4,
            pointBackgroundColor: color("--bs-danger", "#dc3545"),
            borderColor: color("--bs-danger", "#dc3545"),
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: window.innerWidth < 576 ? 1.1 : 2.4,
        parsing: false,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: {
            callbacks: { label: (item) => item.dataset.label + ": " + money.format(item.parsed.y) + " at " + item.parsed.x },
          },
        },
        scales: {
          x: {
            type: "linear",
            min: data.prices[0],
            max: data.prices[data.prices.length - 1],
            title: axisTitle("Underlying price"),
            ticks: { maxRotation: 0, autoSkipPadding: 12 },
          },
          y: { title: axisTitle("P&L ($)"), ticks: { callback: moneyTick } },
        },
      },
    });
    canvas.dataset.drawn = chart.data.datasets.length ? "true" : "false";
    return chart;
  }

  window.TrackerPayoff = { draw: draw };
  const element = document.getElementById("payoff-data");
  const canvas = document.getElementById("payoff-chart");
  if (element && canvas) draw(canvas, JSON.parse(element.textContent));
})();
