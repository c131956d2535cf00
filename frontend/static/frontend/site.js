// Every page: tell the server the browser's time zone (a cookie), so that times show in the worker's zone.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: times stay in UTC, and say so */ }
})();

// "Finding your next response": the page tries again by itself after Retry-After seconds (a script, not a
// <meta refresh>, which screen-reader users cannot stop; without JavaScript the "Try again now" link does it).
document.addEventListener("DOMContentLoaded", function () {
  var busy = document.querySelector("[data-retry-after]");
  if (busy) {
    setTimeout(function () { window.location.reload(); }, 1000 * (parseInt(busy.dataset.retryAfter, 10) || 1));
  }
});
