/* My work's petition page: the petition's place on a Leaflet map, drawn from grid-registry's
   outlines (its grid highlighted among its neighbours) with no tile server unless the
   deployment configured one; buttons disabled while their form is being sent. */
"use strict";
(function () {
  const box = document.getElementById("place-map");
  if (box && window.L) {
    const map = L.map(box, { scrollWheelZoom: false, attributionControl: false });
    const tiles = box.dataset.tileUrl;
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    Console.call(box.dataset.placeUrl).then(function (place) {
      const own = place.grid_code;
      const point = [place.point.lat, place.point.lon];
      map.setView(point, 15);  // a view first: Leaflet draws layers relative to it
      const layer = L.geoJSON(place.outlines, {
        style: function (feature) {
          const mine = feature.properties.code === own;
          return { color: mine ? "#1d4ed8" : "#6b7280", weight: mine ? 3 : 1,
                   fillOpacity: mine ? 0.15 : 0.03 };
        }
      }).addTo(map);
      L.circleMarker(point, { radius: 8, color: "#b91c1c", fillColor: "#ef4444", fillOpacity: 0.9 }).addTo(map);
      const mine = layer.getLayers().filter(function (l) { return l.feature.properties.code === own; });
      if (mine.length) { map.fitBounds(mine[0].getBounds(), { padding: [16, 16] }); }
    }).catch(function (failure) {
      box.textContent = failure.message;
    });
  }
  document.querySelectorAll("form.action-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  /* Photos checked before the upload: type and size, with the limit shown beside the field. */
  const photos = document.getElementById("photos-resolve");
  if (photos) {
    const check = document.getElementById("photos-check");
    const allowed = ["image/jpeg", "image/png", "image/webp"];
    photos.addEventListener("change", function () {
      const problems = [];
      const files = Array.from(photos.files);
      if (files.length > Number(photos.dataset.maxCount)) { problems.push(photos.dataset.msgCount); }
      files.forEach(function (file) {
        if (allowed.indexOf(file.type) < 0) { problems.push(photos.dataset.msgType.replace("{name}", file.name)); }
        else if (file.size > Number(photos.dataset.maxBytes)) { problems.push(photos.dataset.msgSize.replace("{name}", file.name)); }
      });
      check.textContent = problems.join(" ");
      check.hidden = problems.length === 0;
      photos.setCustomValidity(problems.join(" "));
      photos.setAttribute("aria-invalid", problems.length ? "true" : "false");
    });
  }
  const summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
