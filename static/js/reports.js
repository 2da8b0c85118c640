// Draws the reports page's charts from its json_script data (each chart only when its data is on the page):
//   pnl-data       = {"labels": ["2025-06", ...], "realized": [number, ...], "cumulative": [number, ...]}
//                    -> #pnl-chart: realized P&L per period (bars) and its running total (line, right axis)
//   cash-flow-data = {"labels": ["2025-06", ...], "net_cash_flow": [number, ...], "charges": [number, ...]}
//                    -> #cash-flow-chart: net cash flow (bars) and charges (bars on their own right axis, same zero)
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const { money, moneyTick, axisTitle } = window.TrackerCharts;
  const GAIN = color("--bs-success", "#198754");
  const LOSS = color("--bs-danger", "#dc3545");
  const LINE = color("--bs-primary", "#0d6efd");

  function read(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function options(yTitle) {
    return {
      animation: false,
      responsive: true,
      aspectRatio: window.innerWidth < 576 ? 1.4 : 2.8,
      plugins: {
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + money.format(item.parsed.y) } },
      },
      scales: {
        x: { title: axisTitle("Period"), ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { title: axisTitle(yTitle), ticks: { callback: moneyTick } },
      },
    };
  }

  const pnl = read("pnl-data");
  const pnlCanvas = document.getElementById("pnl-chart");
  if (pnl && pnlCanvas && pnl.labels.length) {
    const pnlOptions = options("Realized P&L ($)");
    pnlOptions.scales.cumulative = {
      position: "right",
      title: axisTitle("Cumulative ($)"),
      grid: { drawOnChartArea: false },
      ticks: { callback: moneyTick },
    };
    // Two money axes: one zero line, or a running total above zero would seem to sit below the bars' zero.
    TrackerCharts.alignZero([pnlOptions.scales.y, pnlOptions.scales.cumulative], [pnl.realized, pnl.cumulative]);
    const dense = pnl.labels.length > pnlCanvas.clientWidth / 2;
    new Chart(pnlCanvas, {
      data: {
        labels: pnl.labels,
        datasets: [
          {
            type: "bar",
            label: "Realized P&L",
            data: pnl.realized,
            backgroundColor: pnl.realized.map((value) => (value < 0 ? LOSS : GAIN)),
            // Every trading day of years on a phone leaves each bar under a pixel: fill the whole slot then,
            // or the default gaps fade the bars to nothing.
            barPercentage: dense ? 1 : 0.9,
            categoryPercentage: dense ? 1 : 0.8,
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
    // Commissions and fees are a small fraction of the cash that moves: on the net flow's axis their bars
    // would be a pixel high, so they get their own right axis, sharing the zero line.
    const cashFlowOptions = options("Net cash flow ($)");
    cashFlowOptions.scales.charges = {
      position: "right",
      title: axisTitle("Commissions and fees ($)"),
      grid: { drawOnChartArea: false },
      ticks: { callback: moneyTick },
    };
    TrackerCharts.alignZero(
      [cashFlowOptions.scales.y, cashFlowOptions.scales.charges],
      [cashFlow.net_cash_flow, cashFlow.charges],
    );
    new Chart(cashFlowCanvas, {
      type: "bar",
      data: {
        labels: cashFlow.labels,
        datasets: [
          { label: "Net cash flow", data: cashFlow.net_cash_flow, backgroundColor: LINE },
          {
            label: "Commissions and fees (right axis)",
            data: cashFlow.charges,
            yAxisID: "charges",
            backgroundColor: color("--bs-warning", "#ffc107"),
          },
        ],
      },
      options: cashFlowOptions,
    });
  }
})();

// The Edge report:
//   <canvas class="edge-chart" data-source="edge-strategy-data"> with
//   edge-*-data = {"labels": ["Short put", ...], "total_pnl": [number, ...], "win_rate": [percent or null, ...]}
//                 -> total P&L per group (bars) and win rate (points, right axis)
//   <table data-sortable>: a heading's button sorts the rows by that column's data-value (again: reversed)
(function () {
  "use strict";

  document.querySelectorAll("table[data-sortable]").forEach((table) => {
    const body = table.tBodies[0];
    table.querySelectorAll("[data-sort-column]").forEach((button) => {
      button.addEventListener("click", () => {
        const column = Number(button.dataset.sortColumn);
        const descending = button.dataset.sorted !== "desc";
        table.querySelectorAll("[data-sort-column]").forEach((other) => {
          delete other.dataset.sorted;
          other.closest("th").removeAttribute("aria-sort");
        });
        button.dataset.sorted = descending ? "desc" : "asc";
        button.closest("th").setAttribute("aria-sort", descending ? "descending" : "ascending");
        const value = (row) => {
          const text = row.cells[column].dataset.value;
          return text === "" ? null : Number(text);
        };
        const rows = Array.from(body.rows).sort((a, b) => {
          const left = value(a);
          const right = value(b);
          if (left === right) return 0;
          if (left === null) return 1; // empty cells last either way
          if (right === null) return -1;
          return descending ? right - left : left - right;
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  });

  if (typeof Chart === "undefined") return;
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const { money, moneyTick, axisTitle } = window.TrackerCharts;
  const GAIN = color("--bs-success", "#198754");
  const LOSS = color("--bs-danger", "#dc3545");
  const LINE = color("--bs-primary", "#0d6efd");

  document.querySelectorAll("canvas.edge-chart").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const scales = {
      x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
      y: { title: axisTitle("Total P&L ($)"), ticks: { callback: moneyTick } },
      winRate: {
        position: "right",
        title: axisTitle("Win rate (%)"),
        grid: { drawOnChartArea: false },
        // Below the shared zero line the win-rate axis has nothing to say.
        ticks: { callback: (value) => (value < 0 || value > 100 ? "" : value + "%") },
      },
    };
    // A loss's bar goes below zero; the win-rate axis keeps its 0% on the same line.
    TrackerCharts.alignZero([scales.y, scales.winRate], [data.total_pnl, data.win_rate.concat([100])]);
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "bar",
            label: "Total P&L",
            data: data.total_pnl,
            backgroundColor: data.total_pnl.map((value) => (value < 0 ? LOSS : GAIN)),
            order: 2,
          },
          {
            type: "line",
            label: "Win rate (right axis)",
            data: data.win_rate,
            yAxisID: "winRate",
            showLine: false,
            borderColor: LINE,
            backgroundColor: LINE,
            pointRadius: 5,
            clip: false, // a 100% win rate sits on the top edge: draw its point whole
            order: 1,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: window.innerWidth < 576 ? 1.6 : 5,
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) =>
                item.dataset.yAxisID === "winRate"
                  ? item.dataset.label + ": " + item.parsed.y.toFixed(1) + "%"
                  : item.dataset.label + ": " + money.format(item.parsed.y),
            },
          },
        },
        scales: scales,
      },
    });
  });
})();
