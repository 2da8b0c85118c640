// Draws the reports page's cash-flow chart from its json_script data:
//   cash-flow-data = {"labels": ["2025-06", ...], "net_cash_flow": [number, ...], "charges": [number, ...]}
(function () {
  "use strict";
  const element = document.getElementById("cash-flow-data");
  const canvas = document.getElementById("cash-flow-chart");
  if (typeof Chart === "undefined" || !element || !canvas) return;

  const report = JSON.parse(element.textContent);
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const compact = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    notation: "compact",
    maximumFractionDigits: 1,
  });

  new Chart(canvas, {
    type: "bar",
    data: {
      labels: report.labels,
      datasets: [
        { label: "Net cash flow", data: report.net_cash_flow, backgroundColor: color("--bs-primary", "#0d6efd") },
        { label: "Commissions and fees", data: report.charges, backgroundColor: color("--bs-warning", "#ffc107") },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.4 : 2.8,
      plugins: {
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + money.format(item.parsed.y) } },
      },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { ticks: { callback: (value) => compact.format(value) } },
      },
    },
  });
})();
