/* [data-select-filter]: for a long list, a search box under the label narrows the <select> to the options whose
   text contains what was typed (the chosen option always stays). Hidden without JavaScript. */
(function () {
  "use strict";
  document.querySelectorAll("[data-select-filter]").forEach(function (box) {
    var input = box.querySelector("[data-select-filter-input]");
    var select = box.querySelector("select");
    if (!input || !select || select.options.length <= 12) return;
    var label = box.querySelector("label[for='" + select.id + "']");
    if (label) label.after(input);
    input.classList.remove("d-none");
    var all = Array.from(select.options).map(function (o) { return o.cloneNode(true); });
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var current = select.value;
      select.innerHTML = "";
      all.forEach(function (o) {
        if (!needle || !o.value || o.value === current || o.text.toLowerCase().indexOf(needle) !== -1) {
          select.add(o.cloneNode(true));
        }
      });
      select.value = current;
    });
  });
})();
