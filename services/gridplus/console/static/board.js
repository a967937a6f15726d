/* The red-light map board: draws the grid outlines with Leaflet (no tiles unless configured),
   colours them by their counts, and applies the live counts the server streams (/map/events)
   to the map and the table in place. Server text goes in through textContent only. */
"use strict";
(function () {
  const box = document.getElementById("board-map");
  if (!box || !window.L) { return; }
  const labels = JSON.parse(document.getElementById("board-labels").textContent);
  const status = document.getElementById("board-status");
  const table = document.getElementById("board-grids");
  const COLOURS = { RED: "#dc2626", YELLOW: "#f59e0b", GREEN: "#16a34a", NONE: "#9ca3af" };
  const layers = {};
  const names = {};

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? String(values[key]) : match;
    });
  }
  function lightOf(c) { return c[0] ? "RED" : c[1] ? "YELLOW" : c[2] ? "GREEN" : "NONE"; }
  function rowOf(code) {
    const rows = table.querySelectorAll("tbody tr[data-grid-code]");
    for (const row of rows) { if (row.dataset.gridCode === code) { return row; } }
    return null;
  }
  function countsOf(code) {
    const row = rowOf(code);
    if (!row) { return [0, 0, 0]; }
    return [Number(row.dataset.lightRed), Number(row.dataset.lightYellow), Number(row.dataset.lightGreen)];
  }
  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }
  function styleFor(code, c) {
    const selected = box.dataset.selected === code;
    return {
      color: selected ? "#111827" : "#374151",
      weight: selected ? 3 : 1,
      fillColor: COLOURS[lightOf(c)],
      fillOpacity: selected ? 0.75 : 0.55
    };
  }
  function mark(code, c) {
    const layer = layers[code];
    if (!layer) { return; }
    layer.setStyle(styleFor(code, c));
    const element = layer.getElement();
    if (!element) { return; }
    element.setAttribute("data-grid-code", code);
    element.setAttribute("data-light-red", String(c[0]));
    element.setAttribute("data-light-yellow", String(c[1]));
    element.setAttribute("data-light-green", String(c[2]));
    element.setAttribute("role", "img");
    element.setAttribute("aria-label", fmt(labels.counts, { name: names[code] || code, red: c[0], yellow: c[1], green: c[2] }));
  }
  function paintRow(code, c) {
    const row = rowOf(code);
    if (!row) { return; }
    row.dataset.lightRed = String(c[0]);
    row.dataset.lightYellow = String(c[1]);
    row.dataset.lightGreen = String(c[2]);
    row.className = row.className.replace(/light-row-\w+/, "light-row-" + lightOf(c));
    row.querySelector("td.red").textContent = String(c[0]);
    row.querySelector("td.yellow").textContent = String(c[1]);
    row.querySelector("td.green").textContent = String(c[2]);
  }

  const map = L.map(box, { zoomSnap: 0.25, attributionControl: Boolean(box.dataset.tileUrl) });
  if (box.dataset.tileUrl) {
    L.tileLayer(box.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }
  map.setView([40.7, -73.95], 10);

  fetch(box.dataset.shapesUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("outlines: HTTP " + response.status); }
      return response.json();
    })
    .then(function (collection) {
      const drawn = L.geoJSON(collection, {
        style: function (feature) { return styleFor(feature.properties.code, countsOf(feature.properties.code)); },
        onEachFeature: function (feature, layer) {
          const code = feature.properties.code;
          layers[code] = layer;
          names[code] = feature.properties.name;
          layer.bindTooltip(feature.properties.name, { sticky: true });
          layer.on("click", function () {
            window.location.href = box.dataset.drillUrl + "?grid=" + encodeURIComponent(code);
          });
        }
      }).addTo(map);
      if (drawn.getBounds().isValid()) { map.fitBounds(drawn.getBounds(), { padding: [8, 8] }); }
      Object.keys(layers).forEach(function (code) { mark(code, countsOf(code)); });
      box.dataset.drawn = "true";
    })
    .catch(function (error) { window.Console.toast(String(error.message || error), "error"); });

  function showOverdue(rows) {
    const overdue = document.getElementById("board-overdue");
    const empty = document.getElementById("overdue-empty");
    const body = overdue.querySelector("tbody");
    body.replaceChildren();
    rows.forEach(function (item) {
      const tr = document.createElement("tr");
      tr.dataset.petitionId = item.petition_id;
      tr.dataset.gridCode = item.grid_code;
      const who = item.assignee_id + (item.department_code ? " · " + item.department_code : "");
      const category = labels.lang === "zh" ? item.category_zh : item.category_en;
      const when = item.deadline.slice(0, 16).replace("T", " ") + " UTC";
      [item.petition_id, item.grid_code, category, who].forEach(function (text, index) {
        const td = document.createElement("td");
        if (index === 0 && labels.petition_url) {
          const link = document.createElement("a");
          link.href = labels.petition_url.replace("PETITION", encodeURIComponent(item.petition_id));
          link.textContent = text;
          td.appendChild(link);
        } else {
          td.textContent = text;
        }
        if (index === 0) { td.className = "code"; } else { td.dataset.label = labels.columns[index]; }
        tr.appendChild(td);
      });
      const td = document.createElement("td");
      td.dataset.label = labels.columns[4];
      const time = document.createElement("time");
      time.dateTime = item.deadline;
      time.textContent = when;
      td.appendChild(time);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    overdue.hidden = rows.length === 0;
    empty.hidden = rows.length !== 0;
  }

  const source = new EventSource(box.dataset.eventsUrl);
  source.addEventListener("open", function () { setStatus("live", labels.live); });
  source.addEventListener("error", function () {
    if (status.dataset.state !== "refused") { setStatus("offline", labels.offline); }
  });
  source.addEventListener("refused", function () {
    source.close();
    setStatus("refused", labels.refused);
  });
  source.addEventListener("lights", function (event) {
    const state = JSON.parse(event.data);
    table.querySelectorAll("tbody tr[data-grid-code]").forEach(function (row) {
      const code = row.dataset.gridCode;
      const c = state.grids[code] || [0, 0, 0];
      paintRow(code, c);
      mark(code, c);
    });
    showOverdue(state.overdue);
    setStatus("live", labels.live);
  });
})();
