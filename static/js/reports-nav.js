// The Reports sub-navigation scrolls sideways inside itself on a phone: bring the current report into view, so a
// trader sees which report they are on (templates/reports/includes/_reports_nav.html).
(function () {
  "use strict";
  var current = document.querySelector("nav[data-reports-nav] [aria-current='page']");
  if (current) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
