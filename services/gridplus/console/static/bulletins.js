/* Bulletins: while any listed bulletin still has deliveries pending, refresh the counts (a small
   JSON answer, not the page) every few seconds and update the bars in place. */
"use strict";
(function () {
  const table = document.getElementById("bulletin-list");
  const labelsNode = document.getElementById("bulletin-labels");
  if (!table || !labelsNode) { return; }
  const labels = JSON.parse(labelsNode.textContent);

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? String(values[key]) : match;
    });
  }
  function pending() {
    return Array.from(table.querySelectorAll("tbody tr")).some(function (row) {
      return Number(row.dataset.pending) > 0;
    });
  }
  async function refresh() {
    if (!pending()) { return; }
    try {
      const counts = await window.Console.call(table.dataset.progressUrl);
      table.querySelectorAll("tbody tr").forEach(function (row) {
        const c = counts[row.dataset.bulletinId];
        if (!c) { return; }
        ["total", "sent", "pending", "failed"].forEach(function (key) { row.dataset[key] = String(c[key]); });
        const bar = row.querySelector("progress");
        bar.max = c.total || 1;
        bar.value = c.sent;
        row.querySelector(".progress-text").textContent = fmt(labels.progress, c);
      });
    } catch (error) {
      window.Console.toast(error.message || String(error), "error");
      return;
    }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 1000);
})();
