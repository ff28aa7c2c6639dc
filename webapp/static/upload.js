// Checks a chosen file against the limits the page states (size, type by extension) before anything is sent:
// a file too large would otherwise travel for minutes only to be refused, and the page with it. The server
// checks again, by content.
(function () {
  function problem(input) {
    var file = input.files && input.files[0];
    if (!file) return "";
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var limits = input.getAttribute("data-limits") || "";
    if (max && file.size > max) return "Tệp «" + file.name + "» quá lớn. " + limits + ".";
    var accept = (input.getAttribute("accept") || "").split(",");
    var name = file.name.toLowerCase();
    var known = accept.some(function (ext) { return ext && name.slice(-ext.length) === ext; });
    if (!known) return "Định dạng tệp «" + file.name + "» không được chấp nhận. " + limits + ".";
    return "";
  }
  function check(input) {
    var message = problem(input);
    var out = document.getElementById(input.id + "-error");
    if (out) out.textContent = message;
    var field = input.closest(".field");
    if (field) field.classList.toggle("has-error", !!message);
    return message;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) check(input);
  });
  // Every button of the form sends the file with it: none is let through while the chosen file is refused.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var inputs = form.querySelectorAll ? form.querySelectorAll("input[type=file][data-max-bytes]") : [];
    for (var i = 0; i < inputs.length; i++) {
      if (check(inputs[i])) {
        event.preventDefault();
        event.stopImmediatePropagation();
        inputs[i].focus();
        return;
      }
    }
  }, true);
})();
