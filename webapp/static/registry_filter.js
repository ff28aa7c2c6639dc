// The registry picker of a new dossier: typing narrows the select's people and collectives, diacritics and case
// ignored as the server's search ignores them ("trinh van bao" finds "Trịnh Văn Bảo"). Without script the select
// works as it is, with every option.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("registry_filter");
    var select = document.getElementById("registry_subject");
    var status = document.getElementById("registry_filter_status");
    if (!input || !select || !status) {
      return;
    }
    var options = Array.prototype.slice.call(select.querySelectorAll("optgroup option"));
    var keys = options.map(function (option) { return fold(option.textContent); });
    document.querySelectorAll("[data-needs-script]").forEach(function (element) { element.hidden = false; });

    input.addEventListener("input", function () {
      var words = fold(input.value).split(" ").filter(Boolean);
      var shown = [];
      options.forEach(function (option, i) {
        var match = words.every(function (word) { return keys[i].indexOf(word) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match) {
          shown.push(option);
        }
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      var chosen = select.options[select.selectedIndex];
      if (words.length && shown.length === 1) {
        select.value = shown[0].value; // one left: it is the one meant
      } else if (chosen && chosen.hidden) {
        select.value = ""; // never submit a choice the list no longer shows
      }
      status.textContent = words.length ? (shown.length ? shown.length + " kết quả trong sổ." :
        "Không có ai trong sổ khớp; chọn “Người mới” để ghi vào sổ.") : "";
    });
  });
})();
