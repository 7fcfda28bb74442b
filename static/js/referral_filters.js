/* A preset period clears the typed dates; typing a date switches the preset to "any time". */
(function () {
  "use strict";
  var form = document.getElementById("referral-filters");
  if (!form) return;
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-period-preset]") && t.value) {
      form.querySelectorAll("[data-period-date]").forEach(function (d) { d.value = ""; });
    } else if (t.matches("[data-period-date]") && t.value) {
      var any = form.querySelector("[data-period-preset][value='']");
      if (any) any.checked = true;
    }
  }, true);
})();
