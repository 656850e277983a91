/**
 * The dashboard's only script, served as /assets/dashboard.js (CSP forbids inline script).
 * Live updates: every few seconds it fetches the page it is on and swaps in the fresh copies of
 * the elements marked `data-live` (matched by id). The server renders (and escapes) everything,
 * so there is one renderer and no client templating that could skip escaping.
 */
export const LIVE_SCRIPT = `'use strict';
(function () {
  var body = document.body;
  var interval = Number(body.getAttribute('data-live-interval')) || 0;
  var status = document.getElementById('live-status');
  function say(text) { if (status) status.textContent = text; }

  // A double click on a confirm button sends one request; the server is idempotent anyway.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    setTimeout(function () {
      var buttons = form.querySelectorAll('button[type=submit]');
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }, 0);
  });

  if (!interval || !window.fetch || !window.DOMParser) return;
  var busy = false;
  var stopped = false;
  var timer = null;
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }
  function swap(text) {
    var fresh = new DOMParser().parseFromString(text, 'text/html');
    var parts = fresh.querySelectorAll('[data-live][id]');
    for (var i = 0; i < parts.length; i++) {
      var current = document.getElementById(parts[i].id);
      if (current) current.replaceWith(document.importNode(parts[i], true));
    }
  }
  // The next refresh waits at least three times as long as the last one took: a page whose
  // counts take 2 s to aggregate (a 500,000-job batch on SQLite) refreshes every 6 s, so
  // an open tab never keeps the store busy. Hidden tabs do not refresh at all.
  function refresh() {
    if (busy || stopped || document.hidden) return;
    busy = true;
    var started = Date.now();
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Holdfast-Live': '1' } })
      .then(function (response) {
        if (response.status >= 400 && response.status < 500) stopped = true;
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (text) {
        swap(text);
        say('live · updated ' + new Date().toLocaleTimeString());
      })
      .catch(function (error) {
        say('live updates paused (' + error.message + ')' + (stopped ? '; reload to retry' : ''));
      })
      .then(function () {
        busy = false;
        if (!stopped) schedule(Math.max(interval, 3 * (Date.now() - started)));
      });
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) schedule(0);
  });
  schedule(interval);
  say('live');
})();
`;
