// A long job's progress bar: polls the box's status URL until the job is done, then reloads the page to show
// the result (or leaves the failure on screen). No inline script: the CSP forbids it.
// Four times a second for the first three seconds, since short jobs (a CSV preview) end within them and a
// one-second poll would add up to a second to the wait; then once a second.
(function () {
  "use strict";
  document.querySelectorAll("[data-progress]").forEach(function (box) {
    const url = box.getAttribute("data-progress");
    const bar = box.querySelector("[data-progress-bar]");
    const holder = bar.parentElement;
    const started = Date.now();
    let failures = 0;

    function show(progress) {
      box.querySelector("[data-progress-phase]").textContent = progress.phase;
      box.querySelector("[data-progress-percent]").textContent = progress.percent + "%";
      box.querySelector("[data-progress-message]").textContent = progress.message;
      bar.style.width = progress.percent + "%";
      holder.setAttribute("aria-valuenow", String(progress.percent));
      if (progress.done) bar.classList.remove("progress-bar-animated");
      if (progress.failed) bar.classList.add("bg-danger");
    }

    async function poll() {
      try {
        const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const progress = await response.json();
        failures = 0;
        show(progress);
        if (!progress.done) setTimeout(poll, Date.now() - started < 3000 ? 250 : 1000);
        else if (progress.reload) window.location.reload();
      } catch (error) {
        failures += 1;
        box.querySelector("[data-progress-message]").textContent = "Lost contact with the server; retrying…";
        if (failures < 10) setTimeout(poll, 3000 * failures);
      }
    }

    bar.style.width = holder.getAttribute("aria-valuenow") + "%";
    poll();
  });
})();
