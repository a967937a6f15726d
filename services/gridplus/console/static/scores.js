/* The scores chart: a subject's rates (lines, percent) and resolved / overdue counts (bars) over
   the last periods, drawn by ECharts on a canvas (tooltips as canvas text: no inline HTML under
   the page's CSP). The same numbers are in the table under the chart. */
"use strict";
(function () {
  const box = document.getElementById("scores-chart");
  const source = document.getElementById("scores-data");
  if (!box || !source || !window.echarts) { return; }
  const data = JSON.parse(source.textContent);
  const chart = data.chart;
  const names = data.names;
  const rateSeries = Object.keys(chart.rates).map(function (key) {
    return { name: names[key], type: "line", yAxisIndex: 0, data: chart.rates[key], smooth: false };
  });
  const countSeries = [
    { name: names.resolved, type: "bar", yAxisIndex: 1, data: chart.resolved, itemStyle: { color: "#93c5fd" } },
    { name: names.overdue, type: "bar", yAxisIndex: 1, data: chart.overdue, itemStyle: { color: "#fca5a5" } }
  ];
  const view = window.echarts.init(box, null, { renderer: "canvas" });
  view.setOption({
    animation: false,
    aria: { enabled: false },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 48, right: 48, top: 48, bottom: 32 },
    xAxis: { type: "category", data: chart.labels },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      { type: "value", minInterval: 1 }
    ],
    series: rateSeries.concat(countSeries)
  });
  box.dataset.drawn = "true";
  window.addEventListener("resize", function () { view.resize(); });
})();
