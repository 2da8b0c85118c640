// Carries an active sync forward in slices: each POST runs up to the server's time budget and
// reports progress. When the run ends, the page reloads to show the new numbers.
(function () {
  "use strict";
  document.querySelectorAll("[data-sync-run]").forEach((box) => {
    const url = box.getAttribute("data-sync-run");
    const token = box.getAttribute("data-csrf"); // the CSRF cookie is HttpOnly
    const message = box.querySelector("[data-sync-message]");
    let failures = 0;
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
