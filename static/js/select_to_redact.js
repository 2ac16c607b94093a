// Select words in a record under review, then "Redact the words I selected": the selection goes
// into the next empty passage row, exactly as the record has it, so nothing is retyped. The
// server still checks that the passage is in the record and leaves no fragment.
(function () {
  "use strict";
  function start() {
    var text = document.getElementById("item-text");
    var button = document.getElementById("redact-selection");
    if (!text || !button) return;
    button.parentElement.hidden = false;
    button.addEventListener("click", function () {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed) return;
      var range = selection.getRangeAt(0);
      if (!text.contains(range.commonAncestorContainer)) return;
      var words = selection.toString().trim();
      if (!words) return;
      var rows = document.querySelectorAll("textarea[name^='passages-'][name$='-passage']");
      for (var i = 0; i < rows.length; i++) {
        if (!rows[i].value.trim()) {
          rows[i].value = words;
          var redact = document.querySelector("input[name='decision'][value='redact']");
          if (redact) redact.checked = true;
          var exemption = document.getElementsByName(rows[i].name.replace("-passage", "-exemption"))[0];
          (exemption || rows[i]).focus();
          return;
        }
      }
      rows[rows.length - 1].value = words;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
