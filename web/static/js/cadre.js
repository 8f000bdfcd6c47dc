// Cadre's small enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // An error summary takes focus so that it is read first.
  const summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();
});
