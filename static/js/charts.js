// Shared by every chart script (loaded after Chart.js, before the page's own script) as window.TrackerCharts:
//   moneyTick(value)          an axis label: "$1,234", "-$1,234" (ASCII minus, like |money), cents below $10
//   money.format(value)       a tooltip amount: "-$1,234.56"
//   axisTitle(text)           a visible axis title, e.g. axisTitle("P&L ($)")
//   alignZero(scales, ranges) gives y axes (one or more) the same number of steps below and above zero, so their
//                             zero lines sit at the same pixel: ranges = [[values...], [values...]] per scale
(function () {
  "use strict";
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const whole = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  // `value || 0` turns Chart.js's -0 tick into "$0" rather than "-$0".
  const moneyTick = (value) => (Math.abs(value) < 10 && !Number.isInteger(value) ? money : whole).format(value || 0);

  function niceCeil(value) {
    if (!(value > 0)) return 0;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    const step = [1, 2, 2.5, 5, 10].find((multiple) => multiple * power >= value * (1 - 1e-9));
    return step * power;
  }

  // Tries every split of STEPS grid steps into k below zero and STEPS - k above; for each axis the step is the
  // nicest one that fits its data, and the split that wastes least of the chart's height wins.
  const STEPS = 6;
  function alignZero(scales, ranges) {
    const spans = ranges.map((values) => {
      const numbers = values.filter((value) => value !== null && Number.isFinite(value));
      return { low: Math.min(0, ...numbers), high: Math.max(0, ...numbers) };
    });
    let best = null;
    for (let below = 0; below <= STEPS; below += 1) {
      const above = STEPS - below;
      const steps = spans.map((span) => {
        if ((span.low < 0 && below === 0) || (span.high > 0 && above === 0)) return null;
        const needed = Math.max(below ? -span.low / below : 0, above ? span.high / above : 0);
        return niceCeil(needed) || 1;
      });
      if (steps.includes(null)) continue;
      const waste = steps.reduce((sum, step, index) => {
        const used = spans[index].high - spans[index].low || 1;
        return sum + (step * STEPS) / used;
      }, 0);
      if (!best || waste < best.waste) best = { waste: waste, below: below, steps: steps };
    }
    scales.forEach((scale, index) => {
      const step = best.steps[index];
      scale.min = -best.below * step;
      scale.max = (STEPS - best.below) * step;
      scale.ticks = Object.assign(scale.ticks || {}, { stepSize: step });
    });
  }

  const axisTitle = (text) => ({ display: true, text: text });

  window.TrackerCharts = { money: money, moneyTick: moneyTick, alignZero: alignZero, axisTitle: axisTitle };
})();
