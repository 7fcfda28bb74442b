/* The manager's team referral charts (/team/referrals/). Reads the figures the page wrote
   with json_script (#team-chart-data) and draws every <canvas data-chart="…">; once a chart
   has been drawn its canvas gets data-drawn="1" (browser tests look for it). */
(function () {
  "use strict";

  var source = document.getElementById("team-chart-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"];

  var drawnFlag = {
    id: "drawnFlag",
    afterRender: function (chart) {
      chart.canvas.dataset.drawn = "1";
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var figures = data[canvas.dataset.chart];
    if (!figures) return;
    var type = canvas.dataset.type || "bar";
    var horizontal = canvas.dataset.horizontal === "1";
    var percent = canvas.dataset.percent === "1";
    var valueAxis = {
      beginAtZero: true,
      ticks: { precision: 0 }
    };
    if (percent) {
      valueAxis.max = 100;
      valueAxis.ticks = { callback: function (v) { return v + "%"; } };
    }
    var scales = horizontal ? { x: valueAxis } : { y: valueAxis };
    new Chart(canvas, {
      type: type,
      data: {
        labels: figures.labels,
        datasets: figures.series.map(function (s, i) {
          var colour = colours[i % colours.length];
          return {
            label: s.label,
            data: s.data,
            borderColor: colour,
            backgroundColor: type === "line" ? colour : colour + "cc",
            tension: 0.2,
            spanGaps: true
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        scales: scales,
        plugins: {
          legend: { display: figures.series.length > 1 },
          tooltip: percent ? {
            callbacks: {
              label: function (ctx) {
                return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : ctx.parsed.y + "%");
              }
            }
          } : {}
        }
      },
      plugins: [drawnFlag]
    });
  });
})();
