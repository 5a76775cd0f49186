// "Back" buttons on the hosted form's pages, without an inline handler (the pages' CSP allows no inline script).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-history-back]")) history.back();
});
