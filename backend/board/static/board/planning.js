// Planning forms, a little help on top of plain HTML forms (they work without this):
// an address or a meeting link is asked for only when it applies, and a form that came back
// with errors moves the focus to their summary, so a screen reader reads it first.
(function () {
  "use strict";
  var summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();

  var switcher = document.querySelector("[data-mode-switch]");
  if (!switcher) return;
  function show() {
    var chosen = switcher.querySelector("input:checked");
    var mode = chosen ? chosen.value : "";
    document.querySelectorAll("[data-mode]").forEach(function (part) {
      // Never hide a field that shows an error: the coordinator must see what to correct.
      var invalid = part.querySelector(".field.invalid");
      part.hidden = mode !== "" && part.getAttribute("data-mode") !== mode && !invalid;
    });
  }
  switcher.addEventListener("change", show);
  show();
})();
