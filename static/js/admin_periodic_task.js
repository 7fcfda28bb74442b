// The periodic task form of the admin (templates/admin/djcelery/change_periodictask_form.html):
// django_celery_beat's inline script, here because the CSP refuses inline scripts. Under the
// crontab picker, the schedule it means in words.
(function () {
  "use strict";
  var script = document.getElementById("periodic-task-overrides");
  var data = document.getElementById("readable-crontabs");
  if (!script || !data || !window.django || !django.jQuery) {
    return;
  }
  var $ = django.jQuery;
  var readable = JSON.parse(data.textContent);
  var help = script.getAttribute("data-crontab-help") || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").on("change", function () {
    var box = $(".field-crontab .help").empty();
    box.append(document.createTextNode(help));
    box.append(document.createElement("br"));
    box.append(document.createTextNode("Translation: " + (readable[$("#id_crontab").val()] || "")));
  });
})();
