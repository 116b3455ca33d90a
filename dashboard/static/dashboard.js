// slaq dashboard: the little the page needs beyond htmx. Delegated on document, so it keeps
// working after htmx swaps the body.
"use strict";
// "Select all" ticks every dead letter of the bulk form on this page.
document.addEventListener("change", function (e) {
  var all = e.target.closest && e.target.closest("input.select-all");
  if (!all) return;
  document.querySelectorAll('input[name="id"][form="bulk"]').forEach(function (b) { b.checked = all.checked; });
});
// A button with data-confirm asks before it submits.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("button[data-confirm]");
  if (b && !window.confirm(b.getAttribute("data-confirm"))) {
    e.preventDefault();
    e.stopPropagation();
  }
}, true);
