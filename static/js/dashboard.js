/* The back-office dashboard's two charts. Figures come from the page (a JSON block and data-
   attributes), so the page itself carries no script: the Content-Security-Policy forbids inline ones. */
(function () {
  "use strict";
  function draw() {
    var daily = document.getElementById("daily-chart");
    var source = document.getElementById("chart-data");
    if (daily && source && window.Chart) {
      var data = JSON.parse(source.textContent);
      var label = daily.dataset;
      var lang = document.documentElement.lang || "en";
      var dayFormat = new Intl.DateTimeFormat(lang, {day: "numeric", month: "short"});
      var labels = data.days.map(function (d) { return dayFormat.format(new Date(d + "T12:00:00")); });
      new Chart(daily, {
        data: {
          labels: labels,
          datasets: [
            {type: "bar", label: label.labelReceipts, data: data.receipts, backgroundColor: "rgba(59, 91, 219, 0.75)", borderRadius: 4, yAxisID: "y"},
            {type: "line", label: label.labelAccrued, data: data.accrued, borderColor: "#1f8a4c", backgroundColor: "#1f8a4c", tension: 0.3, pointRadius: 2, yAxisID: "y1"},
            {type: "line", label: label.labelRedeemed, data: data.redeemed, borderColor: "#a86200", backgroundColor: "#a86200", tension: 0.3, pointRadius: 2, yAxisID: "y1"}
          ]
        },
        options: {
          maintainAspectRatio: false,
          interaction: {mode: "index", intersect: false},
          plugins: {legend: {position: "bottom", labels: {usePointStyle: true}}},
          scales: {
            x: {grid: {display: false}},
            y: {beginAtZero: true, position: "left", title: {display: true, text: label.labelReceipts}, ticks: {precision: 0}},
            y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}, title: {display: true, text: label.labelPoints}}
          }
        }
      });
    }
    var tierChart = document.getElementById("tier-chart");
    var tierRows = document.querySelectorAll("[data-tier-count]");
    if (tierChart && tierRows.length && window.Chart) {
      new Chart(tierChart, {
        type: "bar",
        data: {
          labels: Array.prototype.map.call(tierRows, function (row) { return row.dataset.tierName; }),
          datasets: [{label: tierChart.dataset.labelCustomers,
                      data: Array.prototype.map.call(tierRows, function (row) { return Number(row.dataset.tierCount); }),
                      backgroundColor: ["#9aa5b8", "#7f96e6", "#3b5bdb", "#2a3f9e", "#1b2a6b", "#141a26"], borderRadius: 6}]
        },
        options: {
          maintainAspectRatio: false, indexAxis: "y",
          plugins: {legend: {display: false}},
          scales: {x: {beginAtZero: true, ticks: {precision: 0}}, y: {grid: {display: false}}}
        }
      });
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
