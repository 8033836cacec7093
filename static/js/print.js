// A button marked data-print prints the page (the Content-Security-Policy allows no inline handler).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
