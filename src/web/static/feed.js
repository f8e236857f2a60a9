/* global document, window, EventSource */
// The live feed: an EventSource on the stream named by #feed's data-stream. The browser reconnects by itself and
// sends Last-Event-ID, so the server resends what was missed; each event is written as text, never as HTML.
(function () {
  var feed = document.getElementById('feed');
  var status = document.getElementById('feed-status');
  if (!feed || !window.EventSource) return;
  var source = new EventSource(feed.getAttribute('data-stream'));
  source.onopen = function () {
    status.textContent = 'Live';
  };
  source.onerror = function () {
    status.textContent = 'Reconnecting…';
  };
  source.addEventListener('door-event', function (message) {
    var e = JSON.parse(message.data);
    if (feed.querySelector('li[data-id="' + e.id + '"]')) return;
    var li = document.createElement('li');
    li.setAttribute('data-id', String(e.id));
    var time = document.createElement('time');
    time.textContent = e.at;
    var title = document.createElement('strong');
    title.textContent = e.title;
    li.appendChild(time);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(title);
    var rest = [e.door, e.person, e.reason].filter(Boolean).join(' · ');
    if (rest) li.appendChild(document.createTextNode(' · ' + rest));
    if (e.source) {
      var src = document.createElement('span');
      src.className = 'muted';
      src.textContent = ' (' + e.source + ')';
      li.appendChild(src);
    }
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 200) feed.removeChild(feed.lastChild);
  });
})();
