// The Positions page:
// - a strategy position's button folds and unfolds its legs (rows marked data-leg-of="<slug>" right under it).
//   Legs start folded; the button says so with aria-expanded.
// - an underlying's Payoff button opens a panel under its row with the payoff diagram (payoff.js draws it). The
//   chart's data is fetched from the button's data-payoff-data URL (dashboard:payoff_data) the first time the
//   panel opens, so the page itself never computes a payoff.
(function () {
  "use strict";
  const table = document.getElementById("open-positions");
  if (!table) return;
  const COLUMNS = table.querySelectorAll("thead th").length;
  const price = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  let panels = 0;

  function fold(button) {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    table.querySelectorAll('tr[data-leg-of="' + button.dataset.fold + '"]').forEach(function (row) {
      row.classList.toggle("d-none", !open);
    });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function summary(chart) {
    const breakevens = chart.breakevens.length ? chart.breakevens.map((x) => price.format(x)).join(", ") : "none in range";
    const loss = chart.max_loss === null ? "unlimited" : window.TrackerCharts.money.format(chart.max_loss);
    let text = "At expiration " + chart.expires_on + " · breakevens " + breakevens + " · most loss at expiration " + loss;
    if (chart.legs_left_out) text += " · " + chart.legs_left_out + " leg(s) without a mark left out";
    return text + ".";
  }

  function load(button, panel) {
    const status = panel.querySelector("[data-payoff-status]");
    fetch(button.dataset.payoffData, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data.chart) {
          status.textContent = "No payoff to draw: the underlying or its legs have no mark yet. Refresh marks.";
          return;
        }
        status.textContent = data.name + ": " + data.legs + " leg" + (data.legs === 1 ? "" : "s") + ", P&L by the underlying's price.";
        const frame = element("div", "position-relative");
        const canvas = element("canvas");
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", "Profit and loss of " + data.name + " at expiration on " + data.chart.expires_on + " and today, by the underlying's price");
        frame.appendChild(canvas);
        status.after(frame, element("p", "small text-body-secondary mt-2 mb-1", summary(data.chart)));
        window.TrackerPayoff.draw(canvas, data.chart);
      })
      .catch(function () {
        status.textContent = "The payoff could not be loaded; the full payoff page below has it.";
      });
  }

  function panelFor(button) {
    const header = button.closest("tr");
    const row = element("tr", "payoff-row");
    panels += 1;
    row.id = "payoff-panel-" + panels;
    const cell = element("td");
    cell.colSpan = COLUMNS;
    const panel = element("div", "payoff-panel");
    panel.appendChild(element("p", "small mb-2", "Loading the payoff…"));
    panel.firstChild.setAttribute("data-payoff-status", "");
    panel.firstChild.setAttribute("role", "status");
    const link = element("a", "small", "Full payoff page");
    link.href = button.dataset.payoffPage;
    panel.appendChild(link);
    cell.appendChild(panel);
    row.appendChild(cell);
    header.after(row);
    button.setAttribute("aria-controls", row.id);
    load(button, panel);
    return row;
  }

  function togglePayoff(button) {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    const id = button.getAttribute("aria-controls");
    const row = id ? document.getElementById(id) : null;
    if (row) row.hidden = !open;
    else if (open) panelFor(button);
  }

  table.addEventListener("click", function (event) {
    const folding = event.target.closest("button[data-fold]");
    if (folding) fold(folding);
    const payoff = event.target.closest("button[data-payoff-toggle]");
    if (payoff) togglePayoff(payoff);
  });
})();
