// The report's script: search, sort and filter the unit table. Everything else is plain HTML.
(function () {
  "use strict";
  var table = document.getElementById("unit-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("search");
  var lateOnly = document.getElementById("late-only");
  var kind = document.getElementById("kind-filter");
  var parent = document.getElementById("parent-filter");
  var shown = document.getElementById("shown-count");

  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (tr) {
      var ok = (!q || tr.cells[0].textContent.toLowerCase().indexOf(q) >= 0 ||
                tr.cells[1].textContent.toLowerCase().indexOf(q) >= 0) &&
               (!lateOnly.checked || tr.getAttribute("data-late") === "1") &&
               (!kind.value || tr.getAttribute("data-kind") === kind.value) &&
               (!parent.value || tr.getAttribute("data-parent") === parent.value);
      tr.classList.toggle("hidden", !ok);
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }

  function key(tr, i, numeric) {
    var cell = tr.cells[i];
    if (numeric) { return Number(cell.getAttribute("data-value") || 0); }
    return cell.textContent.trim();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    if (!th.hasAttribute("data-sort")) { return; }
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-sort") === "num";
      var asc = !th.classList.contains("asc");
      Array.prototype.forEach.call(th.parentNode.cells, function (c) {
        c.classList.remove("asc", "desc");
      });
      th.classList.add(asc ? "asc" : "desc");
      rows.sort(function (a, b) {
        var x = key(a, i, numeric), y = key(b, i, numeric);
        var c = numeric ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return asc ? c : -c;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    });
  });

  [search, lateOnly, kind, parent].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
}());
