/* Keyboard and screen-reader help on every page (included from base.html). */
(function () {
  "use strict";

  // A form that came back with errors: its summary takes the focus, so the list of problems is read first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    // Each error in the summary links to its field: following the link puts the cursor in the field.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!field) return;
      event.preventDefault();
      var box = field.closest(".field") || field;
      box.scrollIntoView({block: "start"});
      field.focus({preventScroll: true});
    });
  }
})();
