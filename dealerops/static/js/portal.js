// Every page: on a phone the main menu and the user box fold behind the menu button.
(function () {
  "use strict";
  var bar = document.querySelector(".topbar");
  var button = bar && bar.querySelector(".nav-toggle");
  if (!button) { return; }
  bar.classList.add("nav-collapsible");  // the CSS folds the menu only when this script runs
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = bar.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
