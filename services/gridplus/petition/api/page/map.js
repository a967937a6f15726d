// Grid+ resident page: the place of a report, picked on a Leaflet map of the city's grids (no
// tile server: the grid outlines are the map) and checked against the city at once.
"use strict";

const MAP_API = { grids: "/api/v1/map/grids?level={level}", locate: "/api/v1/map/locate" };
const OUTLINE = { color: "#0b5cad", weight: 1.5, fillColor: "#0b5cad", fillOpacity: 0.06 };
const DETAIL_ZOOM = 13; // level-2 outlines from this zoom on

// The point chosen and what the server said about it: {lat, lon, inside, names} or null.
let place = null;
let placeCheck = 0; // answers to older checks are ignored
let map = null;
let marker = null;

function placeStatus(text, kind) {
  const el = document.getElementById("place-status");
  el.textContent = text;
  el.className = "status" + (kind ? " " + kind : "");
}

// The check in flight, so a submit right after a pick waits for its answer.
let placeChecking = null;

function checkPlace(lat, lon) {
  placeChecking = askPlace(lat, lon);
  return placeChecking;
}

async function askPlace(lat, lon) {
  const mine = ++placeCheck;
  place = { lat, lon, inside: null, names: [] };
  placeStatus(t("map.checking"), "");
  let answer = null;
  try {
    const query = new URLSearchParams({ lat: String(lat), lon: String(lon) });
    const response = await fetch(MAP_API.locate + "?" + query.toString(), { credentials: "omit" });
    if (response.ok) answer = await response.json();
  } catch (err) { answer = null; }
  if (mine !== placeCheck) return;
  if (!answer) { placeStatus(t("map.unavailable"), "bad"); return; }
  place = { lat, lon, inside: answer.inside, names: answer.names || [] };
  showPlace();
}

function showPlace() {
  const field = document.querySelector('.field[data-field="location"]');
  if (!place || place.inside === null) return;
  if (place.inside) {
    field.classList.remove("invalid");
    field.querySelector(":scope > .error").textContent = "";
    placeStatus(t("map.inside", { names: place.names.join(" · ") }), "ok");
  } else {
    placeStatus("", "");
    field.classList.add("invalid");
    field.querySelector(":scope > .error").textContent = t("err.outside");
  }
  if (marker) marker.setStyle({ color: place.inside ? "#2f9e44" : "#d64545" });
}

// A point from the map, the coordinate fields or the browser's location.
function pickPlace(lat, lon, fromMap) {
  const rounded = [Number(lat.toFixed(6)), Number(lon.toFixed(6))];
  document.getElementById("lat").value = String(rounded[0]);
  document.getElementById("lon").value = String(rounded[1]);
  if (map) {
    if (!marker) {
      marker = L.circleMarker(rounded, { radius: 9, weight: 3, color: "#0b5cad", fillOpacity: 0.5 }).addTo(map);
    } else {
      marker.setLatLng(rounded);
    }
    if (!fromMap) map.panTo(rounded);
  }
  document.dispatchEvent(new CustomEvent("gridplus:place"));
  checkPlace(rounded[0], rounded[1]);
}

function typedPlace() {
  const latText = document.getElementById("lat").value.trim();
  const lonText = document.getElementById("lon").value.trim();
  const lat = Number(latText), lon = Number(lonText);
  if (latText === "" || lonText === "" || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) return;
  pickPlace(lat, lon, false);
}

function locateMe() {
  if (!navigator.geolocation) { placeStatus(t("map.no_geo"), "bad"); return; }
  placeStatus(t("map.locating"), "");
  navigator.geolocation.getCurrentPosition(
    (pos) => pickPlace(pos.coords.latitude, pos.coords.longitude, false),
    () => placeStatus(t("map.geo_failed"), "bad"),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

async function outlines(level) {
  try {
    const response = await fetch(MAP_API.grids.replace("{level}", String(level)), { credentials: "omit" });
    return response.ok ? await response.json() : null;
  } catch (err) { return null; }
}

function outlineLayer(collection) {
  return L.geoJSON(collection, {
    style: () => OUTLINE,
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(String(feature.properties.name || feature.properties.code), { sticky: true });
      // A click anywhere in the city picks that point (the layer would otherwise take it).
      layer.on("click", (ev) => pickPlace(ev.latlng.lat, ev.latlng.lng, true));
    },
  });
}

async function initMap() {
  document.getElementById("locate").addEventListener("click", locateMe);
  document.getElementById("lat").addEventListener("change", typedPlace);
  document.getElementById("lon").addEventListener("change", typedPlace);
  document.addEventListener("gridplus:language", showPlace);
  const box = document.getElementById("map");
  if (!pageConfig.map || typeof L === "undefined") {
    document.getElementById("map-hint").hidden = true;
    document.getElementById("coords").open = true;
    return;
  }
  const city = await outlines(1);
  if (!city || !city.features.length) {
    document.getElementById("coords").open = true;
    return;
  }
  box.hidden = false;
  box.setAttribute("aria-label", t("map.label"));
  document.addEventListener("gridplus:language", () => box.setAttribute("aria-label", t("map.label")));
  map = L.map(box, { attributionControl: false, zoomControl: false, zoomSnap: 0.5 });
  L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") }).addTo(map);
  if (pageConfig.tile_url) {
    L.tileLayer(pageConfig.tile_url, { maxZoom: 19 }).addTo(map);
    // As text under the map (Leaflet's own attribution control would parse it as HTML).
    const credit = document.getElementById("map-attribution");
    credit.textContent = pageConfig.tile_attribution || "";
  }
  const cityLayer = outlineLayer(city).addTo(map);
  map.fitBounds(cityLayer.getBounds(), { padding: [8, 8] });
  map.on("click", (ev) => pickPlace(ev.latlng.lat, ev.latlng.lng, true));
  let detail = null;
  map.on("zoomend", async () => {
    if (map.getZoom() < DETAIL_ZOOM || detail) return;
    const grids = await outlines(2);
    if (grids) detail = outlineLayer(grids).addTo(map);
  });
}

// For the form: null when fine, else the message key.
function placeProblem() {
  if (!place) return "err.location";
  if (place.inside === false) return "err.outside";
  return null;
}
