/* The category select offers only the chosen kind's categories; choosing a category fills the
   documents checklist with the usual list, unless the agent has already edited it. */
(function () {
  "use strict";
  var byKind = JSON.parse(document.getElementById("categories-by-kind").textContent);
  var docs = JSON.parse(document.getElementById("default-documents").textContent);
  var kind = document.getElementById("id_kind");
  var category = document.getElementById("id_category");
  var textarea = document.getElementById("id_documents");
  if (!kind || !category || !textarea) return;
  var allOptions = category.innerHTML;
  var blankLabel = category.options.length ? category.options[0].text : "---------";
  function defaultFor(value) { return (docs[value] || []).join("\n"); }
  var lastDefault = textarea.value.trim() === defaultFor(category.value) ? textarea.value.trim() : null;

  function kindOf(value) {
    return Object.keys(byKind).find(function (k) {
      return byKind[k].some(function (c) { return c[0] === value; });
    });
  }
  function fillCategories() {
    var current = category.value;
    var choices = byKind[kind.value];
    if (!choices) { category.innerHTML = allOptions; category.value = current; return; }
    category.innerHTML = "";
    category.add(new Option(blankLabel, ""));
    choices.forEach(function (c) { category.add(new Option(c[1], c[0], false, c[0] === current)); });
    if (!choices.some(function (c) { return c[0] === current; })) category.value = "";
  }
  function fillDocuments() {
    var current = textarea.value.trim();
    if (current !== "" && current !== lastDefault) return;  // edited by the agent: keep it
    lastDefault = defaultFor(category.value);
    textarea.value = lastDefault;
  }
  kind.addEventListener("change", function () { fillCategories(); fillDocuments(); });
  category.addEventListener("change", function () {
    if (!kind.value && category.value) { kind.value = kindOf(category.value) || ""; fillCategories(); }
    fillDocuments();
  });
  fillCategories();
})();
