// Storyline reader: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  // Ask before destructive form submissions (remove feed).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // A citation moves keyboard focus to the source it points at, so the next Tab
  // continues from there (the browser already scrolls to it and :target highlights it).
  function focusTarget() {
    if (!location.hash || location.hash.indexOf("#source-") !== 0) return;
    var target = document.getElementById(location.hash.slice(1));
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
  window.addEventListener("hashchange", focusTarget);
  document.addEventListener("DOMContentLoaded", focusTarget);
})();
