/* The stage form shows the policy only for "won" and the reason only for "lost". */
(function () {
  "use strict";
  var form = document.getElementById("stage-form");
  if (!form) return;
  var select = form.querySelector("[name=to_stage]");
  function sync() {
    form.querySelectorAll("[data-stage-only]").forEach(function (el) {
      el.hidden = el.dataset.stageOnly !== select.value;
    });
  }
  select.addEventListener("change", sync);
  sync();
})();
