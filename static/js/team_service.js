/* The service view's charts (/team/service/, its drill-down and /service/). Reads the figures
   the page wrote with json_script (#service-chart-data) and draws every <canvas data-chart>;
   a series marked "goal" is a dashed line (the persistency goals); "axis": "y1" puts a
   series on a second axis. A drawn canvas gets data-drawn="1". */
(function () {
  "use strict";

  var source = document.getElementById("service-chart-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"];
  var drawnFlag = {
    id: "drawnFlag",
    afterRender: function (chart) { chart.canvas.dataset.drawn = "1"; }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var figures = data[canvas.dataset.chart];
    if (!figures) return;
    var type = canvas.dataset.type || "line";
    var percent = canvas.dataset.percent === "1";
    var scales = { y: { beginAtZero: !percent, ticks: { precision: 0 } } };
    if (percent) {
      scales.y.suggestedMin = 50;
      scales.y.max = 100;
      scales.y.ticks = { callback: function (v) { return v + "%"; } };
    }
    var second = figures.series.some(function (s) { return s.axis === "y1"; });
    if (second) {
      scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } };
    }
    new Chart(canvas, {
      type: type,
      data: {
        labels: figures.labels,
        datasets: figures.series.map(function (s, i) {
          var colour = s.goal ? (i % 2 ? "#6c757d" : "#adb5bd") : colours[i % colours.length];
          return {
            label: s.label,
            data: s.data,
            type: s.axis === "y1" ? "line" : undefined,
            yAxisID: s.axis || "y",
            borderColor: colour,
            backgroundColor: type === "line" || s.axis ? colour : colour + "cc",
            borderDash: s.goal ? [6, 4] : [],
            pointRadius: s.goal ? 0 : 3,
            tension: 0.2,
            spanGaps: true
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: scales,
        plugins: { legend: { display: true, position: "bottom" } }
      },
      plugins: [drawnFlag]
    });
  });
})();
