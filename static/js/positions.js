// The Positions page: a strategy position's button folds and unfolds its legs (rows marked
// data-leg-of="<slug>" right under it). Legs start folded; the button says so with aria-expanded.
(function () {
  "use strict";
  const table = document.getElementById("open-positions");
  if (!table) return;

  table.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-fold]");
    if (!button) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    table.querySelectorAll('tr[data-leg-of="' + button.dataset.fold + '"]').forEach(function (row) {
      row.classList.toggle("d-none", !open);
    });
  });
})();
