// Inzet live shift board: keeps the page in sync with ws/v1/organisations/<id>/board/.
//
// The server sends a snapshot, then numbered events. An event numbered one past the last
// is applied; an older one is ignored (the snapshot already had it); a jump means messages
// were lost, so the board asks for a new snapshot ("resync"). After a dropped connection it
// reconnects with growing, jittered delays and starts again from a snapshot.
//
// A card opens the shift's detail panel: a <dialog> filled with the HTML of the shift's page
// (/board/<slug>/shifts/<id>/, asked for with X-Requested-With: fetch); its forms are sent
// with fetch and the answer replaces the panel. Without JavaScript the same URL is a page.
// The filter (all / short of people / online / on site) is applied after every render, so it
// holds while events come in; ?filter= keeps it across a reload.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var t = config.strings;
  var board = document.getElementById("board");
  var statusEl = document.getElementById("status");
  var announcer = document.getElementById("announcer");
  var refreshButton = document.getElementById("refresh");
  var texts = JSON.parse(document.getElementById("board-texts").textContent);
  var dialog = document.getElementById("shift-panel");
  var panelBody = document.getElementById("panel-body");
  var filterForm = document.querySelector("[data-board-filter]");
  var shiftUrlTemplate = board.dataset.shiftUrl; // ends in /0/
  var FILTERS = ["all", "short", "online", "on_site"];

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
  var filter = initialFilter();
  var panelShiftId = null; // the shift whose panel is open
  var panelLoading = null; // the AbortController of the panel request in flight
  // Our own action on the open panel's shift: its events need neither a refresh of the panel
  // nor an announcement (the panel's answer says what happened).
  var posting = false;
  var ownChangeUntil = 0;

  // As the server writes them: day before month and a 24-hour clock in every language (a
  // Belgian product: "Tuesday 1 December, 14:00", not "Tuesday, December 1, 02:00 PM").
  var locale = config.language === "en" ? "en-GB" : config.language;
  var dayFormat = new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", timeZone: config.time_zone,
  });
  var timeFormat = new Intl.DateTimeFormat(locale, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: config.time_zone,
  });
  var dayKeyFormat = new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone: config.time_zone,
  });

  // French writes the first of the month "1er", which Intl does not (the server's pages say
  // it too: backend/core/dates.py).
  function dayText(date) {
    if (config.language !== "fr") return dayFormat.format(date);
    return dayFormat.formatToParts(date).map(function (part) {
      return part.type === "day" && part.value === "1" ? "1er" : part.value;
    }).join("");
  }

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
    var over = Date.parse(shift.ends_at) <= now;
    article.className = "shift" + (urgent ? " urgent" : "") +
      (shift.status === "cancelled" ? " cancelled" : "") + (over ? " over" : "");
    article.dataset.shiftId = shift.id;
    article.replaceChildren();

    var head = el("div", "shift-head");
    var time = el("p", "time");
    time.textContent = timeFormat.format(new Date(shift.starts_at)) + "–" +
      timeFormat.format(new Date(shift.ends_at));
    var title = el("h3", "title");
    var link = el("a", "open-panel", shift.title);
    link.href = shiftUrl(shift.id);
    link.dataset.openShift = shift.id;
    title.append(link);
    title.id = "shift-title-" + shift.id;
    article.setAttribute("aria-labelledby", title.id);
    head.append(time, title, el("span", "mode " + shift.mode, t[shift.mode] || shift.mode));
    if (shift.status === "cancelled") head.append(el("span", "badge cancelled", t.cancelled));
    else if (over) head.append(el("span", "badge over", t.over));
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
        : dayText(opens) + " " + timeFormat.format(opens);
      article.append(el("p", "opens", format(t.opens_at, { time: when })));
    }

    if (urgent) {
      var short = shift.capacity - shift.confirmed_count;
      article.append(el("p", "warning", t.starts_soon + " · " +
        format(short === 1 ? t.short_one : t.short_other, { count: short })));
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
    // A long waitlist is named in part (the server sends its first names).
    var waitingShown = shift.volunteers.filter(function (p) { return p.status === "waitlisted"; }).length;
    var more = shift.waitlist_count - waitingShown;
    if (more > 0) {
      people.append(el("li", "more", format(more === 1 ? t.more_waiting_one : t.more_waiting_other, { count: more })));
    }
    article.append(people);
    return article;
  }

  function dayKey(shift) {
    return dayKeyFormat.format(new Date(shift.starts_at));
  }

  function shiftUrl(id) {
    return shiftUrlTemplate.replace(/\/0\/$/, "/" + id + "/");
  }

  function renderAll() {
    var sorted = Array.from(shifts.values()).sort(function (a, b) {
      return Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id;
    });
    var active = document.activeElement;
    var focusedId = active && active.dataset && board.contains(active)
      ? (active.dataset.shiftId || active.dataset.openShift) : undefined;
    var focusedLink = Boolean(active && active.dataset && active.dataset.openShift);
    var today = dayKeyFormat.format(new Date());
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
        var heading = el("h2", null, dayText(new Date(shift.starts_at)));
        heading.id = "day-" + key;
        if (key === today) {
          section.classList.add("today");
          heading.append(" ", el("span", "today-badge", texts.today));
        }
        section.setAttribute("aria-labelledby", heading.id);
        list = el("div", "shifts");
        section.append(heading, list);
        board.append(section);
      }
      var article = el("article");
      article.tabIndex = 0; // keyboard users can step from shift to shift
      list.append(renderShift(shift, article));
    });
    applyFilter(false);
    board.setAttribute("aria-busy", "false");
    if (focusedId) {
      var again = card(focusedId);
      if (again && focusedLink) again = again.querySelector("[data-open-shift]") || again;
      if (again && !again.closest("[hidden]")) again.focus();
    }
  }

  function card(id) {
    return board.querySelector('article[data-shift-id="' + id + '"]');
  }

  // --- filter ------------------------------------------------------------------------------

  function initialFilter() {
    var asked = new URLSearchParams(window.location.search).get("filter");
    return FILTERS.indexOf(asked) >= 0 ? asked : "all";
  }

  function matches(shift) {
    if (filter === "short") {
      // Short of people: those still to come (a finished shift can't be filled any more).
      return shift.status === "published" && shift.confirmed_count < shift.capacity &&
        Date.parse(shift.ends_at) > Date.now();
    }
    if (filter === "online" || filter === "on_site") return shift.mode === filter;
    return true;
  }

  // Hides the cards (and days) the filter leaves out; after a change, says how many remain.
  function applyFilter(announceCount) {
    var shown = 0;
    board.querySelectorAll("section.day").forEach(function (section) {
      var visible = 0;
      section.querySelectorAll("article[data-shift-id]").forEach(function (article) {
        var shift = shifts.get(Number(article.dataset.shiftId));
        var keep = !shift || matches(shift);
        article.hidden = !keep;
        if (keep) visible += 1;
      });
      section.hidden = visible === 0;
      shown += visible;
    });
    var none = board.querySelector(".filtered-empty");
    if (shown === 0 && shifts.size > 0) {
      if (!none) board.append(el("p", "empty filtered-empty", texts.filtered_none));
    } else if (none) {
      none.remove();
    }
    if (announceCount) {
      var template = shifts.size === 1 ? texts.shown_one : texts.shown_other;
      announce(format(template, { count: shown, total: shifts.size }));
    }
  }

  if (filterForm) {
    filterForm.addEventListener("change", function (event) {
      if (event.target.name !== "filter" || FILTERS.indexOf(event.target.value) < 0) return;
      filter = event.target.value;
      var url = new URL(window.location.href);
      if (filter === "all") url.searchParams.delete("filter");
      else url.searchParams.set("filter", filter);
      window.history.replaceState(null, "", url);
      applyFilter(true);
    });
    filterForm.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  // --- the shift's detail panel -----------------------------------------------------------

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // After an action the focus goes to what the answer says: its notice or refusal, or the
  // first field it refused (whose error its aria-describedby reads out); else the title.
  function showPanel(html, afterAction) {
    panelBody.innerHTML = html;
    var message = panelBody.querySelector("[data-panel-message]");
    var invalid = panelBody.querySelector("[aria-invalid=true]");
    var target = afterAction && (message || invalid);
    (target || panelBody.querySelector("#panel-title")).focus();
    if (message) announce(message.textContent.trim());
  }

  // One panel request at a time: a newer one (a click, a form) replaces one in flight.
  function panelRequest(url, options) {
    if (panelLoading) panelLoading.abort();
    var controller = new AbortController();
    panelLoading = controller;
    var request = Object.assign({
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: controller.signal,
    }, options || {});
    function done() { if (panelLoading === controller) panelLoading = null; }
    return fetch(url, request).then(function (response) {
      // A refusal comes back as the panel saying why (marked X-Panel); anything else (the
      // log-in page after a session ended, a server error) is a failure.
      if (response.headers.get("X-Panel") !== "1") throw new Error("panel " + response.status);
      return response.text();
    }).then(function (html) { done(); return html; }, function (error) { done(); throw error; });
  }

  function panelFailed(error) {
    if (error && error.name === "AbortError") return;
    panelBody.replaceChildren(el("p", "errorlist nonfield panel-error", texts.panel_failed));
    var failed = panelBody.firstChild;
    failed.setAttribute("role", "alert");
    failed.tabIndex = -1;
    failed.focus();
  }

  function openPanel(id) {
    panelShiftId = id;
    panelBody.replaceChildren(el("p", "panel-loading", texts.loading));
    if (!dialog.open) dialog.showModal();
    panelRequest(shiftUrl(id)).then(function (html) {
      if (panelShiftId === id) showPanel(html, false);
    }).catch(panelFailed);
  }

  function ownChange(shiftId) {
    return panelShiftId === shiftId && (posting || Date.now() < ownChangeUntil);
  }

  // Another coordinator changed the open shift: show it fresh, unless this one is typing.
  function refreshPanel() {
    if (!dialog.open || panelShiftId === null || panelLoading) return;
    var busy = panelBody.querySelector("details[open]") ||
      Array.prototype.some.call(panelBody.querySelectorAll("textarea"), function (area) {
        return area.value !== area.defaultValue;
      }) || (document.activeElement && /^(SELECT|TEXTAREA|INPUT)$/.test(document.activeElement.tagName) &&
        panelBody.contains(document.activeElement));
    if (busy) return;
    var active = document.activeElement;
    var hadFocus = Boolean(active && panelBody.contains(active));
    var keep = hadFocus && active.id ? active.id : null;
    var id = panelShiftId;
    panelRequest(shiftUrl(id)).then(function (html) {
      if (panelShiftId !== id || !dialog.open) return;
      panelBody.innerHTML = html;
      if (!hadFocus) return;
      // The same control if it is still there (its id), else the panel's title.
      var again = keep && document.getElementById(keep);
      var target = again && panelBody.contains(again) ? again : panelBody.querySelector("#panel-title");
      if (target) target.focus();
    }).catch(function () { /* the next event or the coordinator's next click tries again */ });
  }

  board.addEventListener("click", function (event) {
    var link = event.target.closest("[data-open-shift]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    openPanel(Number(link.dataset.openShift));
  });

  board.addEventListener("keydown", function (event) {
    // Enter or Space on a focused card opens its panel (the title link does so by itself).
    if (event.key !== "Enter" && event.key !== " ") return;
    var article = event.target;
    if (!article.matches || !article.matches("article[data-shift-id]")) return;
    event.preventDefault();
    openPanel(Number(article.dataset.shiftId));
  });

  panelBody.addEventListener("click", function (event) {
    if (event.target.closest("[data-panel-close]")) dialog.close();
  });

  panelBody.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-panel-form]")) return;
    event.preventDefault();
    var body = new FormData(form, event.submitter || undefined);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    posting = true;
    panelRequest(form.action, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken(form) },
    }).then(function (html) {
      posting = false;
      ownChangeUntil = Date.now() + 1500;
      showPanel(html, true);
    }).catch(function (error) {
      posting = false;
      buttons.forEach(function (button) { button.disabled = false; });
      panelFailed(error);
    });
  });

  dialog.addEventListener("close", function () {
    if (panelLoading) panelLoading.abort();
    var id = panelShiftId;
    panelShiftId = null;
    panelBody.replaceChildren();
    var back = id !== null ? card(id) : null;
    if (back && !back.hidden) back.focus();
  });

  // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
  dialog.addEventListener("click", function (event) {
    if (event.target !== dialog) return;
    var box = dialog.getBoundingClientRect();
    var inside = event.clientX >= box.left && event.clientX <= box.right &&
      event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });

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
    var article = card(shift.id);
    var sameDay = before && dayKey(before) === dayKey(shift) && before.starts_at === shift.starts_at;
    if (article && sameDay && shifts.has(shift.id)) {
      var focusedLink = document.activeElement && article.contains(document.activeElement) &&
        document.activeElement !== article;
      renderShift(shift, article);
      if (focusedLink) article.querySelector("[data-open-shift]").focus();
      applyFilter(false);
    } else {
      renderAll();
    }
    if (ownChange(shift.id)) return;
    if (panelShiftId === shift.id) refreshPanel();
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
