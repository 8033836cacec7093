// Print and copy buttons for the recovery codes page. Without JavaScript the buttons stay
// hidden and the codes can still be selected, copied or printed from the browser.
(function () {
  "use strict";
  var status = document.querySelector(".copy-status");
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var list = document.getElementById(button.getAttribute("data-copy"));
    button.hidden = false;
    button.addEventListener("click", function () {
      var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (code) { return code.textContent; });
      navigator.clipboard.writeText(codes.join("\n")).then(
        function () { status.textContent = "Copied. Paste them into your password manager."; },
        function () { status.textContent = "Could not copy: select the codes and copy them instead."; }
      );
    });
  });
})();
