// Inzet live shift board: keeps the page in sync with ws/v1/organisations/<id>/board/.
//
// The server sends a snapshot, then numbered events. An event numbered one past the last
// is applied; an older one is ignored (the snapshot already had it); a jump means messages
// were lost, so the board asks for a new snapshot ("resync"). After a dropped connection it
// reconnects with growing, jittered delays and starts again from a snapshot.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var t = config.strings;
  var board = document.getElementById("board");
  var statusEl = document.getElementById("status");
  var announcer = document.getElementById("announcer");
  var refreshButton = document.getElementById("refresh");

  var MIN_DELAY = 250;
  var MAX_DELAY = 3000; // boards must catch up within seconds of the server coming back
  var PING_EVERY = 25000;

  var shifts = new Map();
  var windowEnd = null;
  var windowStart = null;
  var lastSeq = null;
  var socket = null;
  var delay = MIN_DELAY;
  var pingTimer = null;
  var stopped = false;

  var dayFormat = new Intl.DateTimeFormat(config.language, {
    weekday: "long", day: "numeric", month: "long", timeZone: config.time_zone,
  });
  var timeFormat = new Intl.DateTimeFormat(config.language, {
    hour: "2-digit", minute: "2-digit", timeZone: config.time_zone,
  });
  var dayKeyFormat = new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone: config.time_zone,
  });

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(state, label) {
    statusEl.className = "status " + state;
    statusEl.querySelector(".label").textContent = label;
  }

  function announce(text) {
    // Clear first so the same sentence twice is still read out.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // --- rendering ---------------------------------------------------------------------------

  function isUrgent(shift, now) {
    var starts = Date.parse(shift.starts_at);
    return shift.status === "published" && shift.confirmed_count < shift.capacity &&
      starts > now && starts - now <= 24 * 3600 * 1000;
  }

  function renderShift(shift, article) {
    var now = Date.now();
    var urgent = isUrgent(shift, now);
    article.className = "shift" + (urgent ? " urgent" : "") +
      (shift.status === "cancelled" ? " cancelled" : "");
    article.dataset.shiftId = shift.id;
    article.replaceChildren();

    var head = el("div", "shift-head");
    var time = el("p", "time");
    time.textContent = timeFormat.format(new Date(shift.starts_at)) + "–" +
      timeFormat.format(new Date(shift.ends_at));
    var title = el("h3", "title", shift.title);
    title.id = "shift-title-" + shift.id;
    article.setAttribute("aria-labelledby", title.id);
    head.append(time, title, el("span", "mode " + shift.mode, t[shift.mode] || shift.mode));
    if (shift.status === "cancelled") head.append(el("span", "badge cancelled", t.cancelled));
    article.append(head);

    var fill = el("div", "fill");
    var meter = el("meter", "bar");
    meter.min = 0;
    meter.max = shift.capacity;
    meter.value = shift.confirmed_count;
    meter.low = shift.capacity; // anything below full shows as "not good enough"
    meter.optimum = shift.capacity;
    var countText = format(t.confirmed_of, {
      confirmed: shift.confirmed_count, capacity: shift.capacity,
    });
    meter.setAttribute("aria-label", countText);
    var counts = el("p", "counts");
    counts.append(el("strong", "count", shift.confirmed_count + " / " + shift.capacity));
    counts.append(el("span", "visually-hidden", " " + countText));
    if (shift.waitlist_count > 0) {
      counts.append(el("span", "waitlist", format(t.waitlist, { count: shift.waitlist_count })));
    }
    fill.append(meter, counts);
    article.append(fill);

    if (shift.claims_open_at && Date.parse(shift.claims_open_at) > now) {
      var opens = new Date(shift.claims_open_at);
      var when = dayKeyFormat.format(opens) === dayKeyFormat.format(new Date(now))
        ? timeFormat.format(opens)
        : dayFormat.format(opens) + " " + timeFormat.format(opens);
      article.append(el("p", "opens", format(t.opens_at, { time: when })));
    }

    if (urgent) {
      article.append(el("p", "warning", t.starts_soon + " · " +
        format(t.short, { count: shift.capacity - shift.confirmed_count })));
    }

    var people = el("ul", "people");
    if (shift.volunteers.length === 0) people.append(el("li", "nobody", t.nobody));
    shift.volunteers.forEach(function (person) {
      var item = el("li", "person " + person.status);
      item.append(el("span", "name", person.name));
      // attendance: waitlisted | not_checked_in | checked_in | checked_out | attended | no_show
      var state = t[person.attendance] || person.attendance;
      item.append(el("span", "check " + person.attendance.replace(/_/g, "-"), state));
      people.append(item);
    });
    article.append(people);
    return article;
  }

  function dayKey(shift) {
    return dayKeyFormat.format(new Date(shift.starts_at));
  }

  function renderAll() {
    var sorted = Array.from(shifts.values()).sort(function (a, b) {
      return Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id;
    });
    var focusedId = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.shiftId : undefined;
    board.replaceChildren();
    if (sorted.length === 0) board.append(el("p", "empty", t.no_shifts));
    var section = null;
    var list = null;
    var currentDay = null;
    sorted.forEach(function (shift) {
      var key = dayKey(shift);
      if (key !== currentDay) {
        currentDay = key;
        section = el("section", "day");
        var heading = el("h2", null, dayFormat.format(new Date(shift.starts_at)));
        heading.id = "day-" + key;
        section.setAttribute("aria-labelledby", heading.id);
        list = el("div", "shifts");
        section.append(heading, list);
        board.append(section);
      }
      var article = el("article");
      article.tabIndex = 0; // keyboard users can step from shift to shift
      list.append(renderShift(shift, article));
    });
    board.setAttribute("aria-busy", "false");
    if (focusedId) {
      var again = board.querySelector('[data-shift-id="' + focusedId + '"]');
      if (again) again.focus();
    }
  }

  function inWindow(shift) {
    var starts = Date.parse(shift.starts_at);
    return windowStart !== null && starts >= windowStart && starts < windowEnd;
  }

  function applyShift(shift, eventType) {
    var before = shifts.get(shift.id);
    if (shift.status === "draft" || !inWindow(shift)) {
      shifts.delete(shift.id);
    } else {
      shifts.set(shift.id, shift);
    }
    var article = board.querySelector('[data-shift-id="' + shift.id + '"]');
    var sameDay = before && dayKey(before) === dayKey(shift) && before.starts_at === shift.starts_at;
    if (article && sameDay && shifts.has(shift.id)) renderShift(shift, article);
    else renderAll();
    var at = timeFormat.format(new Date(shift.starts_at));
    if (eventType === "shift.cancelled") {
      announce(format(t.shift_cancelled, { title: shift.title, time: at }));
    } else {
      announce(format(t.changed, {
        title: shift.title, time: at, confirmed: shift.confirmed_count, capacity: shift.capacity,
      }));
    }
  }

  // --- connection --------------------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function resync() {
    setStatus("resyncing", t.resyncing);
    send({ type: "resync" });
  }

  function onMessage(raw) {
    var message;
    try { message = JSON.parse(raw.data); } catch (e) { return; }
    if (message.type === "snapshot") {
      lastSeq = message.seq;
      windowStart = Date.parse(message.window.start);
      windowEnd = Date.parse(message.window.end);
      shifts = new Map(message.shifts.map(function (s) { return [s.id, s]; }));
      renderAll();
      delay = MIN_DELAY;
      setStatus("live", t.live);
    } else if (message.type === "status") {
      // live: false: the server lost its channel layer (Redis) and events may be missed;
      // live: true: it is back, and the snapshot that follows replaces what was missed.
      if (message.live) setStatus("live", t.live);
      else setStatus("reconnecting", t.reconnecting);
    } else if (message.type === "event") {
      var seq = message.seq;
      if (seq !== null && lastSeq !== null && seq <= lastSeq) return; // already in the snapshot
      applyShift(message.shift, message.event);
      if (seq === null || lastSeq === null || seq !== lastSeq + 1) resync();
      else lastSeq = seq;
    }
  }

  function connect() {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setStatus(lastSeq === null ? "connecting" : "reconnecting",
      lastSeq === null ? t.connecting : t.reconnecting);
    socket = new WebSocket(scheme + window.location.host + config.ws_path, ["inzet.v1"]);
    socket.onmessage = onMessage;
    socket.onopen = function () {
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(function () { send({ type: "ping" }); }, PING_EVERY);
    };
    socket.onclose = function (event) {
      window.clearInterval(pingTimer);
      socket = null;
      if (event.code === 4401) {
        stopped = true;
        setStatus("offline", t.login_again);
        window.location.assign("/accounts/login/?next=" + encodeURIComponent(window.location.pathname));
        return;
      }
      if (event.code === 4403 || event.code === 4404) {
        stopped = true;
        setStatus("offline", t.forbidden);
        return;
      }
      setStatus("reconnecting", t.reconnecting);
      var wait = delay / 2 + Math.random() * delay / 2;
      delay = Math.min(delay * 2, MAX_DELAY);
      window.setTimeout(connect, wait);
    };
  }

  refreshButton.addEventListener("click", function () {
    if (socket && socket.readyState === WebSocket.OPEN) resync();
    else { delay = MIN_DELAY; if (!socket) connect(); }
  });

  // Re-check the "starts within 24 hours" highlight as time passes.
  window.setInterval(function () { if (shifts.size) renderAll(); }, 60000);

  connect();
})();
