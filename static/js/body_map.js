// The body map on the entry form. Without this script the form still works: each mark is a
// part of the body chosen from a list, and "Add another mark" asks the server for another row.
// With it, tapping the picture fills in a mark (the part and the exact point) and rows are
// added and removed here. The marks list stays the one accessible way to place a mark.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function init(box) {
    var list = box.querySelector("[data-marks]");
    var template = box.querySelector("template[data-mark-template]");
    var total = box.querySelector('input[name$="-TOTAL_FORMS"]');
    var addButton = box.querySelector("[data-add-mark]");
    var categories = (box.getAttribute("data-categories") || "").split(" ");
    var form = box.closest("form");
    var category = form.querySelector('select[name="category"]');

    function rows() {
      return Array.prototype.slice.call(list.querySelectorAll("[data-mark]"));
    }
    function field(row, name) {
      return row.querySelector('[name$="-' + name + '"]');
    }
    function isBlank(row) {
      return !field(row, "region").value && !field(row, "note").value.trim();
    }

    function addRow() {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__num__/g, String(index + 1));
      var holder = document.createElement("ol");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      list.appendChild(row);
      total.value = String(index + 1);
      wire(row);
      return row;
    }

    function draw() {
      box.querySelectorAll("[data-dots]").forEach(function (group) {
        while (group.firstChild) group.removeChild(group.firstChild);
      });
      rows().forEach(function (row, i) {
        if (row.hidden) return;
        var region = field(row, "region").value;
        if (!region) return;
        var view = region.split(":")[0];
        var part = box.querySelector('[data-region="' + region + '"]');
        var group = box.querySelector('[data-dots="' + view + '"]');
        if (!part || !group) return;
        var x = parseFloat(field(row, "x").value);
        var y = parseFloat(field(row, "y").value);
        if (isNaN(x) || isNaN(y)) {
          x = parseFloat(part.getAttribute("data-cx"));
          y = parseFloat(part.getAttribute("data-cy"));
        }
        var dot = document.createElementNS(SVG, "g");
        dot.setAttribute("class", "body-map-dot");
        var circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("cx", x);
        circle.setAttribute("cy", y);
        circle.setAttribute("r", 5);
        circle.setAttribute("fill", "#b10e1e");
        circle.setAttribute("stroke", "#fff");
        var text = document.createElementNS(SVG, "text");
        text.setAttribute("x", x);
        text.setAttribute("y", y + 2.5);
        text.setAttribute("font-size", 7);
        text.setAttribute("font-family", "sans-serif");
        text.setAttribute("font-weight", "bold");
        text.setAttribute("text-anchor", "middle");
        text.setAttribute("fill", "#fff");
        text.textContent = String(i + 1);
        dot.appendChild(circle);
        dot.appendChild(text);
        group.appendChild(dot);
      });
    }

    function wire(row) {
      var remove = row.querySelector("[data-remove-mark]");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        // Emptied rows are ignored by the server; hiding keeps the form's numbering intact.
        field(row, "region").value = "";
        field(row, "note").value = "";
        field(row, "x").value = "";
        field(row, "y").value = "";
        row.hidden = true;
        draw();
        addButton.focus();
      });
      field(row, "region").addEventListener("change", function () {
        // Chosen from the list: the mark goes in the middle of the part.
        field(row, "x").value = "";
        field(row, "y").value = "";
        draw();
      });
    }

    box.querySelectorAll("[data-region]").forEach(function (part) {
      part.addEventListener("click", function (event) {
        var svg = part.ownerSVGElement;
        var point = svg.createSVGPoint();
        point.x = event.clientX;
        point.y = event.clientY;
        var at = point.matrixTransform(svg.getScreenCTM().inverse());
        var row = rows().filter(function (r) { return !r.hidden && isBlank(r); })[0];
        if (!row) {
          if (parseInt(total.value, 10) >= parseInt(box.querySelector('input[name$="-MAX_NUM_FORMS"]').value, 10)) return;
          row = addRow();
        }
        field(row, "region").value = part.getAttribute("data-region");
        field(row, "x").value = at.x.toFixed(1);
        field(row, "y").value = at.y.toFixed(1);
        draw();
        field(row, "note").focus();
      });
    });

    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      var row = addRow();
      field(row, "region").focus();
    });

    function showForCategory() {
      var shown = !category || categories.indexOf(category.value) !== -1;
      box.hidden = !shown;
      // Marks hidden with the body map are not sent (the management form always is).
      box.querySelectorAll("[data-mark] input, [data-mark] select, [data-mark] textarea").forEach(
        function (input) { input.disabled = !shown; }
      );
    }
    if (category) category.addEventListener("change", showForCategory);

    rows().forEach(wire);
    showForCategory();
    draw();
  }

  document.querySelectorAll("[data-body-map]").forEach(init);
})();
