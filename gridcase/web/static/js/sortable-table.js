// Tables with class "sortable": a header's button sorts the body's rows by that column, once
// ascending, again descending. Each cell may carry data-value (what it sorts by); an empty
// value (not scored, nothing measured) always goes last. The header says its order (aria-sort).
(function () {
  "use strict";

  function cellValue(row, index, kind) {
    const cell = row.cells[index];
    const raw = cell && cell.dataset.value !== undefined ? cell.dataset.value : cell ? cell.textContent.trim() : "";
    if (raw === "") return null;
    return kind === "number" ? Number(raw) : raw;
  }

  function sortBy(table, header, button) {
    const index = Array.prototype.indexOf.call(header.parentElement.children, header);
    const kind = button.dataset.sort;
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = cellValue(a, index, kind);
      const y = cellValue(b, index, kind);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      const order = kind === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th > button[data-sort]").forEach(function (button) {
      button.addEventListener("click", function () { sortBy(table, button.parentElement, button); });
    });
  });
})();
