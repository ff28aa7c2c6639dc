// Small helpers for keyboard and screen-reader users. A static file: the Content-Security-Policy refuses inline script.
(function () {
  document.documentElement.classList.add("js");  // the phone's nav collapses only when this script can open it

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    // After a refused submit (422) the summary takes the focus, so a screen reader reads what to fix first.
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
  });

  // A summary's link leads to its field: focus the field's control (a radio group's first radio), not just scroll.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return;
    }
    var control = target.matches("input, select, textarea, button") ? target :
      target.querySelector("input:not([type=hidden]), select, textarea, button");
    if (control) {
      event.preventDefault();
      control.focus();
      control.scrollIntoView({block: "center"});
    }
  });
})();
