/* My work stays current without a reload: every few seconds the list is fetched again and, when
   it changed, swapped in (the server's own escaped HTML, parsed, never assembled from strings).
   Paused while the tab is hidden. */
"use strict";
(function () {
  const area = document.getElementById("work-area");
  if (!area) { return; }
  const seconds = Number(area.dataset.refreshSeconds || "10");
  let last = null;  // the server's HTML of the list last swapped in
  async function refresh() {
    if (document.hidden) { return; }
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!response.ok || response.redirected) { return; }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("work-area");
      if (!fresh || fresh.innerHTML === last) { return; }
      last = fresh.innerHTML;
      area.replaceChildren(...Array.from(fresh.childNodes).map(function (n) { return document.importNode(n, true); }));
      Console.localTimes(area);
    } catch (e) { /* offline for a moment: the next round tries again */ }
  }
  setInterval(refresh, seconds * 1000);
})();
