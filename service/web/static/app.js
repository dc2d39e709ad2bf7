// Lists of rows a form field holds: add a row from the field's <template>, remove one, keep indexes dense.
(function () {
  function renumber(list) {
    var path = list.closest("fieldset.rows").dataset.path;
    list.querySelectorAll(":scope > .row").forEach(function (row, i) {
      row.querySelectorAll("[name]").forEach(function (input) {
        input.name = input.name.replace(new RegExp("^" + path.replace(/\./g, "\\.") + "\\.(\\d+|__i__)"), path + "." + i);
      });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target;
    if (button.classList.contains("add-row")) {
      var set = button.closest("fieldset.rows"), list = set.querySelector(".row-list");
      if (list.children.length >= Number(set.dataset.max || 50)) return;
      var row = document.createElement("div");
      row.className = "row";
      row.appendChild(set.querySelector(":scope > template").content.cloneNode(true));
      list.appendChild(row);
      renumber(list);
      var first = row.querySelector("input, select, textarea");
      if (first) first.focus();
    } else if (button.classList.contains("remove-row")) {
      var rowList = button.closest(".row-list");
      button.closest(".row").remove();
      renumber(rowList);
    }
  });
})();
