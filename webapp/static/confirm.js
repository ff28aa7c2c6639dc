// Forms with data-confirm ask before submitting; so does a submit button with its own data-confirm (a task's
// irreversible decision: "Rút hồ sơ", "Không khen thưởng"), which takes precedence over its form's. A static file,
// not an inline handler: the Content-Security-Policy (script-src 'self') refuses inline script.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
    (event.target.getAttribute && event.target.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
