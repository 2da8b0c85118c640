// Draws the reports page's charts from its json_script data (each chart only when its data is on the page):
//   pnl-data       = {"labels": ["2025-06", ...], "realized": [number, ...], "cumulative": [number, ...]}
//                    -> #pnl-chart: realized P&L per period (bars) and its running total (line, right axis)
//   cash-flow-data = {"labels": ["2025-06", ...], "net_cash_flow": [number, ...], "charges": [number, ...]}
//                    -> #cash-flow-chart: net cash flow and charges per period (bars)
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  // Axis labels; `value || 0` turns Chart.js's -0 tick into "$0" rather than "-$0".
  const compact = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    notation: "compact",
    maximumFractionDigits: 1,
  });
  const GAIN = color("--bs-success", "#198754");
  const LOSS = color("--bs-danger", "#dc3545");
  const LINE = color("--bs-primary", "#0d6efd");

  function read(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function options() {
    return {
      animation: false,
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.4 : 2.8,
      plugins: {
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + money.format(item.parsed.y) } },
      },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { ticks: { callback: (value) => compact.format(value || 0) } },
      },
    };
  }

  const pnl = read("pnl-data");
  const pnlCanvas = document.getElementById("pnl-chart");
  if (pnl && pnlCanvas && pnl.labels.length) {
    const pnlOptions = options();
    pnlOptions.scales.cumulative = {
      position: "right",
      grid: { drawOnChartArea: false },
      ticks: { callback: (value) => compact.format(value || 0) },
    };
    new Chart(pnlCanvas, {
      data: {
        labels: pnl.labels,
        datasets: [
          {
            type: "bar",
            label: "Realized P&L",
            data: pnl.realized,
            backgroundColor: pnl.realized.map((value) => (value < 0 ? LOSS : GAIN)),
            order: 2,
          },
          {
            type: "line",
            label: "Cumulative (right axis)",
            data: pnl.cumulative,
            yAxisID: "cumulative",
            borderColor: LINE,
            backgroundColor: LINE,
            pointRadius: pnl.cumulative.length > 60 ? 0 : 2,
            borderWidth: 2,
            order: 1,
          },
        ],
      },
      options: pnlOptions,
    });
  }

  const cashFlow = read("cash-flow-data");
  const cashFlowCanvas = document.getElementById("cash-flow-chart");
  if (cashFlow && cashFlowCanvas) {
    new Chart(cashFlowCanvas, {
      type: "bar",
      data: {
        labels: cashFlow.labels,
        datasets: [
          { label: "Net cash flow", data: cashFlow.net_cash_flow, backgroundColor: LINE },
          { label: "Commissions and fees", data: cashFlow.charges, backgroundColor: color("--bs-warning", "#ffc107") },
        ],
      },
      options: options(),
    });
  }
})();
