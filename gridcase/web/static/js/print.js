// Buttons marked data-print print the page (kept out of the HTML: no inline scripts).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
