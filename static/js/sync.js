// Carries an active sync forward in slices: each POST runs up to the server's time budget and
// reports progress. When the run ends, the page reloads to show the new numbers.
(function () {
  "use strict";
  document.querySelectorAll("[data-sync-run]").forEach((box) => {
    const url = box.getAttribute("data-sync-run");
    const token = box.getAttribute("data-csrf"); // the CSRF cookie is HttpOnly
    const message = box.querySelector("[data-sync-message]");
    const bar = box.querySelector("[data-sync-bar]");
    let failures = 0;
    function showBar(done, total) {
      if (!bar) return;
      // Accounts done of all; a sliver while the total is not known yet, so the bar shows it is alive.
      const percent = total ? Math.max(5, Math.round((100 * done) / total)) : 5;
      bar.style.width = percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(done));
      bar.parentElement.setAttribute("aria-valuemax", String(total));
    }
    if (bar) {
      const holder = bar.parentElement;
      showBar(Number(holder.getAttribute("aria-valuenow")), Number(holder.getAttribute("aria-valuemax")));
    }
    async function step() {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        const progress = await response.json();
        failures = 0;
        message.textContent = progress.message;
        showBar(progress.accounts_done, progress.accounts_total);
        if (progress.active) {
          setTimeout(step, 1000);
        } else {
          window.location.reload();
        }
      } catch (error) {
        failures += 1;
        message.textContent = "Lost contact with the server; retrying…";
        if (failures < 10) setTimeout(step, 3000 * failures);
      }
    }
    step();
  });
})();
