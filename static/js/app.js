/* AgentCRM front-end helpers. Plain JavaScript, no build step; loaded after htmx and Bootstrap. */
(function () {
  "use strict";

  // Validation errors come back as 400 with the re-rendered form: show them.
  if (window.htmx) {
    htmx.on("htmx:beforeSwap", function (e) {
      if (e.detail.xhr.status === 400) {
        e.detail.shouldSwap = true;
        e.detail.isError = false;
      }
    });
  }

  // Every htmx action that fails says so, and the control that sent it goes back to what
  // the server still has: a tick that did not save does not stay ticked. The words come from
  // the page (#htmx-failure's data attributes), in the agent's language.
  function failureText(status) {
    var box = document.getElementById("htmx-failure");
    if (!box) return "";
    if (!status) return box.dataset.network;
    if (status === 403 || status === 404) return box.dataset.gone;
    if (status === 409) return box.dataset.conflict;
    return box.dataset.server;
  }

  function showFailure(status) {
    var box = document.getElementById("htmx-failure");
    if (!box) return;
    box.querySelector("[data-failure-text]").textContent = failureText(status);
    box.hidden = false;
    box.classList.add("show");
    window.clearTimeout(box._hideTimer);
    box._hideTimer = window.setTimeout(function () { box.hidden = true; }, 8000);
  }

  // What a control showed before the agent changed it, so a failure can put it back.
  document.addEventListener("focusin", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select, input:not([type=checkbox]):not([type=radio])")) {
      el.dataset.savedValue = el.value;
    }
  });

  function revert(detail) {
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    var source = (trigger && trigger.target) || detail.elt;
    if (!source || !source.matches) return;
    if (source.matches("input[type=checkbox]")) {
      source.checked = !source.checked;
    } else if (source.matches("select") && source.dataset.savedValue !== undefined) {
      source.value = source.dataset.savedValue;
    }
    var holder = source.closest && source.closest(".is-saving");
    if (holder) holder.classList.remove("is-saving");
  }

  function failed(e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (status === 400) return;  // a form with its errors, swapped in above
    revert(e.detail);
    showFailure(status);
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", function (e) {
    revert(e.detail);
    showFailure(0);
  });
  document.addEventListener("htmx:timeout", function (e) {
    revert(e.detail);
    showFailure(0);
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-failure-close]")) {
      document.getElementById("htmx-failure").hidden = true;
    }
  });

  // GET forms marked data-drop-empty leave blank fields out of the URL they request and push
  // (?q=张 rather than ?q=张&segment=&source=&…).
  document.addEventListener("htmx:configRequest", function (e) {
    var d = e.detail;
    if (d.verb !== "get" || !d.formData || !d.elt.closest || !d.elt.closest("[data-drop-empty]")) return;
    Array.from(new Set(Array.from(d.formData.keys()))).forEach(function (key) {
      var blank = d.formData.getAll(key).every(function (v) { return v === ""; });
      if (blank) d.formData.delete(key);
    });
  });

  // Forms with data-confirm ask before they submit (delete, archive).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // Inline formsets: "add another" clones the empty form, renumbers it and bumps TOTAL_FORMS.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-formset-add]");
    if (!button) return;
    var prefix = button.dataset.formsetAdd;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var container = document.getElementById(prefix + "-forms");
    if (!total || !template || !container) return;
    var index = parseInt(total.value, 10) || 0;
    if (max && index >= (parseInt(max.value, 10) || 1000)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var added = holder.firstElementChild;
    container.appendChild(added);
    total.value = String(index + 1);
    var first = added.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    if (window.htmx) htmx.process(added);
  });

  // Ticking "Remove" greys the formset form out.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (box.matches && box.matches(".formset-delete input[type=checkbox]")) {
      var card = box.closest(".formset-form");
      if (card) card.classList.toggle("is-deleted", box.checked);
    }
  });
  function markDeleted() {
    document.querySelectorAll(".formset-delete input[type=checkbox]:checked").forEach(function (box) {
      var card = box.closest(".formset-form");
      if (card) card.classList.add("is-deleted");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markDeleted);
  } else {
    markDeleted();
  }

  // The timeline is re-rendered by htmx: keep the tab the agent was on unless a form has errors.
  var lastTab = null;
  document.addEventListener("shown.bs.tab", function (e) {
    if (e.target.closest("#timeline")) lastTab = e.target.id;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var timeline = document.getElementById("timeline");
    if (!timeline || !lastTab || !window.bootstrap) return;
    if (timeline.querySelector("[data-has-errors]")) return;
    var tab = document.getElementById(lastTab);
    if (tab && !tab.classList.contains("active")) bootstrap.Tab.getOrCreateInstance(tab).show();
  });
})();

// Touch rows: "Done, with a note…", "Snooze…" and "Skip…" copy their form from the page's
// <template id="touch-form-…"> into the row (one set of forms per page, not one per row);
// a second click on the same button closes it.
document.addEventListener("click", function (e) {
  var button = e.target.closest("[data-touch-form]");
  if (!button) return;
  var row = button.closest("[data-touch]");
  var slot = row && row.querySelector(".touch-form-slot");
  var which = button.dataset.touchForm;
  var template = document.getElementById("touch-form-" + which);
  if (!slot || !template) return;
  var closing = slot.dataset.open === which;
  row.querySelectorAll("[data-touch-form]").forEach(function (b) {
    b.setAttribute("aria-expanded", String(!closing && b === button));
  });
  slot.innerHTML = "";
  slot.dataset.open = closing ? "" : which;
  if (closing) return;
  slot.innerHTML = template.innerHTML.replace(/__pk__/g, row.dataset.touch);
  var form = slot.querySelector("form");
  var url = row.dataset[which + "Url"];
  form.setAttribute("action", url);
  form.setAttribute("hx-post", url);
  if (window.htmx) htmx.process(slot);
  var first = form.querySelector("input:not([type=hidden]), select");
  if (first) first.focus();
});

// Copy buttons: data-copy="#selector" copies that element's text (touch greetings). Uses the
// Clipboard API where allowed (HTTPS, localhost), else a hidden textarea and execCommand.
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "-1000px";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    var label = button.textContent;
    copyText(source.innerText.trim()).then(function () {
      button.textContent = button.dataset.copied || label;
      setTimeout(function () { button.textContent = label; }, 1500);
    }, function () {
      // Copying is blocked: select the text so the agent can copy it by hand.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  });
})();

// "Back to the previous page" on the error pages.
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-history-back]")) window.history.back();
});

// Sizes that depend on the data, without style attributes (the Content-Security-Policy
// refuses those): a progress bar's width from data-progress (0-100), a week's bar height from
// data-bar-height (0-100), a chain row's indent from data-indent. Set through the CSSOM, which the policy allows; again on each piece of
// content htmx brings in (htmx:load).
(function () {
  "use strict";
  function apply(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseFloat(bar.dataset.progress) || 0));
      bar.style.width = value + "%";
    });
    root.querySelectorAll("[data-bar-height]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseFloat(bar.dataset.barHeight) || 0));
      bar.style.height = value + "%";
    });
    root.querySelectorAll("[data-indent]").forEach(function (row) {
      var level = Math.max(0, parseInt(row.dataset.indent, 10) || 0);
      row.style.paddingInlineStart = "calc(1rem + " + level + " * min(1.25rem, 3vw))";
    });
  }
  document.addEventListener("htmx:load", function (e) { apply(e.target.parentNode || document); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  } else {
    apply(document);
  }
})();
