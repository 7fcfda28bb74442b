/* Conversion % by source: the agent's own figures beside the deck's study (referral, cold call). */
(function () {
  "use strict";
  var canvas = document.getElementById("source-chart");
  var source = document.getElementById("source-chart-data");
  if (!canvas || !source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.yours, data: data.rates, backgroundColor: "rgba(13, 110, 253, 0.75)" },
        { label: data.study, data: data.deck, backgroundColor: "rgba(108, 117, 125, 0.45)" }
      ]
    },
    options: {
      responsive: true,
      scales: { y: { beginAtZero: true, suggestedMax: 50, ticks: { callback: function (v) { return v + "%"; } } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
