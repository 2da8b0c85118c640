// Colour modes (Bootstrap 5.3's data-bs-theme). The server writes the profile's choice on <html>
// (data-color-mode: light, dark or system) and, for light and dark, data-bs-theme itself, so those never
// flash. This file is loaded in <head>, before the page is drawn, and only decides "system" from the
// device's setting (and follows it when it changes). After the page's scripts have run it also gives the
// charts colours that read on the current background, and it drives the navbar's switch:
//   <form data-color-mode-form> with buttons name="color_mode" value="light|dark|system"
// which it saves in the background (the form still works without this script).
(function () {
  "use strict";
  const root = document.documentElement;
  const dark = window.matchMedia("(prefers-color-scheme: dark)");

  function apply() {
    const choice = root.dataset.colorMode || "system";
    const theme = choice === "system" ? (dark.matches ? "dark" : "light") : choice;
    if (root.getAttribute("data-bs-theme") !== theme) {
      root.setAttribute("data-bs-theme", theme);
    }
    paintCharts();
  }

  // Chart.js draws on a canvas, which CSS cannot reach: set its text and grid colours from the theme.
  function paintCharts() {
    if (typeof Chart === "undefined") return;
    const css = getComputedStyle(root);
    const text = css.getPropertyValue("--bs-secondary-color").trim() || "#6c757d";
    const grid = css.getPropertyValue("--bs-border-color-translucent").trim() || "rgba(0,0,0,.175)";
    Chart.defaults.color = text;
    Chart.defaults.borderColor = grid;
    Object.values(Chart.instances).forEach((chart) => {
      Object.values(chart.options.scales || {}).forEach((scale) => {
        if (scale.ticks) scale.ticks.color = text;
        if (scale.grid) scale.grid.color = grid;
        if (scale.title) scale.title.color = text;
      });
      const plugins = chart.options.plugins || {};
      if (plugins.legend && plugins.legend.labels) plugins.legend.labels.color = text;
      if (plugins.title) plugins.title.color = text;
      chart.update("none");
    });
  }

  const ICONS = { light: "\u2600", dark: "\u263e", system: "\u25d0" };

  function mark(form, choice) {
    document.querySelectorAll("[data-color-mode-icon]").forEach((icon) => {
      icon.textContent = ICONS[choice] || ICONS.system;
    });
    form.querySelectorAll("button[name=color_mode]").forEach((button) => {
      const chosen = button.value === choice;
      button.classList.toggle("active", chosen);
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
  }

  function wireSwitch(form) {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || button.name !== "color_mode") return;
      event.preventDefault();
      root.dataset.colorMode = button.value;
      apply();
      mark(form, button.value);
      const body = new FormData(form);
      body.set("color_mode", button.value);
      fetch(form.action, { method: "POST", body: body, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
    });
  }

  apply();
  dark.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-color-mode-form]").forEach(wireSwitch);
    paintCharts();
  });
})();
