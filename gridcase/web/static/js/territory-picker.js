// A picker for the territory on the user pages: township → community → grid, each list filled
// from the territory API as the one above is chosen. "Use as scope" writes the deepest chosen
// node's code into the form's scope field, "Add to grids" adds the chosen grid to its grids
// field. Without JavaScript the picker stays hidden and the code fields work as they are.
(function () {
  "use strict";
  function children(code) {
    return fetch("/api/v1/regions/" + encodeURIComponent(code) + "/children", {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function fill(select, collection) {
    select.length = 1;  // keep the empty first option
    collection.features
      .map(function (f) { return f.properties; })
      .sort(function (a, b) { return a.code < b.code ? -1 : 1; })
      .forEach(function (p) { select.add(new Option(p.name + " " + p.code, p.code)); });
    select.disabled = false;
  }
  document.querySelectorAll(".territory-picker").forEach(function (picker) {
    const form = picker.closest("form");
    const levels = ["township", "community", "grid"].map(function (level) {
      return picker.querySelector("select[data-level=" + level + "]");
    });
    picker.hidden = false;
    children(picker.dataset.city).then(function (c) { fill(levels[0], c); });
    levels.forEach(function (select, i) {
      select.addEventListener("change", function () {
        levels.slice(i + 1).forEach(function (below) { below.length = 1; below.disabled = true; });
        if (select.value && levels[i + 1]) children(select.value).then(function (c) { fill(levels[i + 1], c); });
      });
    });
    function chosen() {
      const picked = levels.filter(function (s) { return s.value; });
      return picked.length ? picked[picked.length - 1].value : picker.dataset.city;
    }
    picker.querySelector("[data-use=scope]").addEventListener("click", function () {
      form.querySelector("input[name=scope]").value = chosen();
    });
    picker.querySelector("[data-use=grids]").addEventListener("click", function () {
      const grid = levels[2].value;
      if (!grid) return;
      const field = form.querySelector("input[name=grids]");
      const codes = field.value.split(/[,，\s]+/).filter(Boolean);
      if (codes.indexOf(grid) < 0) codes.push(grid);
      field.value = codes.join(", ");
    });
  });
})();
