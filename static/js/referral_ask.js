/* The ask for referrals (/referrals/ask/) as a guided sequence: the deck's six steps one at a
   time, with "previous" / "next" and a row of step buttons. It only shows and hides parts of one
   form: the last step's button submits everything at once, and the server saves it all or
   nothing. Without JavaScript every step shows, one under the other, and the submit button
   is always there. After a refused submit the page opens on the first step with an error
   (data-start-step, computed by the server), with everything typed kept. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-ask-steps]");
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll(".ask-step"));
  if (!steps.length) return;
  var back = form.querySelector("[data-ask-back]");
  var next = form.querySelector("[data-ask-next]");
  var submit = form.querySelector("[data-ask-submit]");
  var progress = form.querySelector(".ask-progress");
  var goto = Array.prototype.slice.call(form.querySelectorAll("[data-ask-goto]"));
  var current = 0;

  function show(index, focus) {
    current = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach(function (step, i) { step.hidden = i !== current; });
    var last = current === steps.length - 1;
    back.hidden = current === 0;
    next.hidden = last;
    submit.hidden = !last;
    goto.forEach(function (button, i) {
      var here = i === current;
      button.classList.toggle("btn-primary", here);
      button.classList.toggle("btn-outline-secondary", !here);
      if (here) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    });
    if (focus) {
      var title = steps[current].querySelector("h2");
      if (title) title.focus({ preventScroll: true });
      form.scrollIntoView({ block: "start", behavior: "auto" });
    }
  }

  form.classList.add("ask-guided");
  if (progress) progress.hidden = false;
  back.addEventListener("click", function () { show(current - 1, true); });
  next.addEventListener("click", function () { show(current + 1, true); });
  goto.forEach(function (button, i) {
    button.addEventListener("click", function () { show(i, true); });
  });
  // Enter in a field moves on instead of sending the form from the middle of the ask.
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || current === steps.length - 1) return;
    var field = e.target;
    if (field.tagName === "TEXTAREA" || field.tagName === "BUTTON" || field.type === "submit") return;
    if (field.type === "search") return;
    e.preventDefault();
    show(current + 1, true);
  });
  var start = parseInt(form.dataset.startStep, 10) || 1;
  show(start - 1, start > 1);
})();
