// Tapping an area of the body picture ticks the matching checkbox, and the picture shows
// what is ticked. The checkboxes stay the real form controls.
(function () {
  document.querySelectorAll("[data-body-diagram]").forEach(function (diagram) {
    var form = diagram.closest("form");
    if (!form) return;
    function box(region) {
      return form.querySelector('input[name="regions"][value="' + region + '"]');
    }
    function paint() {
      diagram.querySelectorAll("[data-region]").forEach(function (shape) {
        var input = box(shape.dataset.region);
        shape.classList.toggle("selected", Boolean(input && input.checked));
      });
    }
    diagram.addEventListener("click", function (event) {
      var shape = event.target.closest("[data-region]");
      if (!shape) return;
      var input = box(shape.dataset.region);
      if (input) {
        input.checked = !input.checked;
        paint();
      }
    });
    form.addEventListener("change", paint);
    paint();
  });
})();
