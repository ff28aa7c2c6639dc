// Forms with data-confirm ask before submitting. A static file, not an inline handler: the
// Content-Security-Policy (script-src 'self') refuses inline script.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
