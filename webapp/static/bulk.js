// "Chọn tất cả" of the inbox's bulk form ticks every row's checkbox (they belong to the form by form="bulk-form").
// A static file: the Content-Security-Policy (script-src 'self') refuses inline script.
document.addEventListener("change", function (event) {
  if (!event.target.hasAttribute || !event.target.hasAttribute("data-bulk-all")) {
    return;
  }
  var boxes = document.querySelectorAll('input[type="checkbox"][name="task_ids"][form="bulk-form"]');
  for (var i = 0; i < boxes.length; i++) {
    boxes[i].checked = event.target.checked;
  }
});
