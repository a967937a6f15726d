/* The visit form, phone first: the point from the browser's location (navigator.geolocation),
   or picked on a Leaflet map of the household's grid (no tile server unless configured: the
   grid outlines are the map), or typed; the time defaults to now and is sent in UTC; photos
   checked before the upload; more findings added in place. Server text via textContent only. */
"use strict";
(function () {
  const form = document.getElementById("visit-form");
  if (!form) { return; }
  const $ = function (id) { return document.getElementById(id); };
  const status = $("place-status");
  const lat = $("lat"), lon = $("lon");
  let map = null, marker = null, outline = null;

  function say(key) { status.textContent = status.dataset[key] || ""; }

  function showPoint(point, pan) {
    if (!map) { return; }
    if (!marker) {
      marker = L.circleMarker(point, { radius: 9, weight: 3, color: "#b91c1c", fillColor: "#ef4444", fillOpacity: 0.8 }).addTo(map);
    } else { marker.setLatLng(point); }
    if (pan && outline) {
      const both = outline.getBounds();
      both.extend(point);
      map.fitBounds(both, { padding: [12, 12], maxZoom: 17 });
    } else if (pan) { map.setView(point, 16); }
  }

  function setPoint(latitude, longitude, pan) {
    lat.value = String(Number(latitude.toFixed(6)));
    lon.value = String(Number(longitude.toFixed(6)));
    showPoint([Number(lat.value), Number(lon.value)], pan);
  }

  function typedPoint() {
    const a = Number(lat.value), b = Number(lon.value);
    if (lat.value.trim() && lon.value.trim() && a >= -90 && a <= 90 && b >= -180 && b <= 180) {
      showPoint([a, b], true);
    }
  }

  function locate() {
    if (!navigator.geolocation) { say("msgNoGeo"); $("coords").open = true; return; }
    say("msgLocating");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, true);
      say("msgFound");
    }, function () {
      say("msgFailed");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* The household's grid among its neighbours; a click anywhere picks that point. */
  function drawGrid() {
    const box = $("visit-map");
    const chosen = $("household_id").selectedOptions[0];
    const grid = chosen ? (chosen.dataset.grid || "") : "";
    if (!box || !window.L || !grid) { return; }
    if (!map) {
      map = L.map(box, { attributionControl: false, zoomSnap: 0.5 });
      if (box.dataset.tileUrl) { L.tileLayer(box.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
      map.on("click", function (ev) { setPoint(ev.latlng.lat, ev.latlng.lng, false); say("msgPicked"); });
    }
    Console.call(box.dataset.placeUrl + "?grid=" + encodeURIComponent(grid)).then(function (place) {
      if (outline) { outline.remove(); }
      outline = L.geoJSON(place.outlines, {
        style: function (feature) {
          const mine = feature.properties.code === place.grid_code;
          return { color: mine ? "#1d4ed8" : "#6b7280", weight: mine ? 3 : 1, fillOpacity: mine ? 0.12 : 0.03 };
        },
        onEachFeature: function (feature, layer) {
          layer.on("click", function (ev) { setPoint(ev.latlng.lat, ev.latlng.lng, false); say("msgPicked"); });
        }
      }).addTo(map);
      const mine = outline.getLayers().filter(function (l) { return l.feature.properties.code === place.grid_code; });
      const bounds = mine.length ? mine[0].getBounds() : outline.getBounds();
      const point = lat.value && lon.value ? [Number(lat.value), Number(lon.value)] : null;
      // The grid and the point together: a worker outside it sees how far, and which way.
      if (point) { bounds.extend(point); }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 }); }
      box.dataset.drawn = place.grid_code;
      if (point) { showPoint(point, false); }
    }).catch(function (failure) { status.textContent = failure.message; });
  }

  /* The time: now by default; what the user picks is sent in UTC with the browser's offset. */
  const when = $("visited_at");
  let touched = when.value !== "";
  function localNow() {
    const now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 16);
  }
  if (!when.value) { when.value = localNow(); }
  when.max = localNow();
  when.addEventListener("change", function () { touched = true; });

  /* Photos: type, size and count checked before the upload, the limit beside the field. */
  const photos = $("photos");
  const check = $("photos-check");
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

  /* Another finding: a copy of the last one, emptied, with the next number. */
  $("add-finding").addEventListener("click", function () {
    const all = document.querySelectorAll("#findings .finding");
    const last = all[all.length - 1];
    const next = Number(last.dataset.position) + 1;
    const copy = last.cloneNode(true);
    copy.dataset.position = String(next);
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("[id], [for], [name]").forEach(function (el) {
      ["id", "for", "name"].forEach(function (attr) {
        const value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/^findings-\d+-/, "findings-" + next + "-")); }
      });
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      if (el.type === "checkbox") { el.checked = false; } else if ("value" in el && el.tagName !== "LABEL") { el.value = ""; }
    });
    copy.querySelector("legend").textContent = this.dataset.label.replace("{n}", String(all.length + 1));
    last.after(copy);
    copy.querySelector("input").focus();
  });

  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) { event.preventDefault(); form.reportValidity(); return; }
    $("tz_offset").value = String(-new Date().getTimezoneOffset());
    if (touched && when.value) {
      const picked = new Date(when.value);
      if (!isNaN(picked.getTime())) { $("visited_at_utc").value = picked.toISOString(); }
    } else {
      when.value = "";  // untouched: the service takes the moment it records the visit
    }
    $("record-button").disabled = true;
  });

  $("locate").addEventListener("click", locate);
  lat.addEventListener("change", typedPoint);
  lon.addEventListener("change", typedPoint);
  $("household_id").addEventListener("change", drawGrid);
  drawGrid();
  if (!lat.value) { locate(); } else { typedPoint(); }
  const summary = $("error-summary");
  if (summary) { summary.focus(); }
})();
