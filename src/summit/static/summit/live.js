/* A session's live room (live/templates/live/room.html) and its room display (display.html).

   The page starts from the state the server embedded (#live-state), then applies the live messages of the
   session's topics as they arrive: a WebSocket to /live/sessions/<id>/socket, or Server-Sent Events from
   /live/sessions/<id>/events where a WebSocket cannot connect. It remembers the last sequence number of
   each topic and sends it when it reconnects, so it receives exactly what it missed; "reset" (too far
   behind) reloads the whole state. Actions are the page's forms, sent with fetch; the change itself comes
   back through the live connection, like everyone else's.

   Questions and chat are written with textContent only: HTML in them is shown as text. */
(function () {
  "use strict";

  var root = document.getElementById("live-room");
  if (!root) { return; }
  var stateNode = document.getElementById("live-state");
  var state = stateNode ? JSON.parse(stateNode.textContent) : null;
  if (!state) { return; }
  var display = root.dataset.mode === "display";
  var lastSeq = {};
  var questions = new Map();
  var polls = new Map();
  var chatIds = new Set();
  var myChat = new Set(); // ids of this person's own chat messages: nothing to report there
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var feedback = document.getElementById("live-feedback");
  var connection = document.getElementById("live-connection");

  function $(selector, node) { return (node || document).querySelector(selector); }

  function say(text, isError) {
    if (!feedback) { return; }
    feedback.textContent = text || "";
    feedback.classList.toggle("msg-error", Boolean(isError));
  }

  function connectionState(name) {
    if (connection) { connection.textContent = connection.dataset[name] || ""; }
    root.dataset.connection = name;
  }

  /* --- questions ------------------------------------------------------------------------------------ */

  function order(a, b) {
    if (a.pinned !== b.pinned) { return a.pinned ? -1 : 1; }
    if (a.answered !== b.answered) { return a.answered ? 1 : -1; }
    if (a.votes !== b.votes) { return b.votes - a.votes; }
    if (a.created_at !== b.created_at) { return a.created_at < b.created_at ? -1 : 1; }
    return a.id - b.id;
  }

  var editing = null; // the question a moderator is correcting: the list waits until they save or cancel

  /* A question's moderation buttons are one toolbar: one Tab stop, the arrow keys (and Home, End) move
     between its buttons (the WAI-ARIA toolbar pattern), so a long list is quick to cross by keyboard. */
  function toolButtons(toolbar) {
    return Array.from(toolbar.querySelectorAll("button")).filter(function (b) { return !b.hidden; });
  }

  function rove(toolbar, current) {
    var buttons = toolButtons(toolbar);
    if (!current || buttons.indexOf(current) < 0) { current = buttons[0]; }
    buttons.forEach(function (b) { b.tabIndex = b === current ? 0 : -1; });
  }

  root.addEventListener("keydown", function (event) {
    var toolbar = event.target.closest && event.target.closest("[role=toolbar]");
    if (!toolbar || !root.contains(toolbar)) { return; }
    var buttons = toolButtons(toolbar);
    var at = buttons.indexOf(event.target);
    var next = {
      ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1,
    }[event.key];
    if (next === undefined || at < 0) { return; }
    event.preventDefault();
    var target = buttons[(next + buttons.length) % buttons.length];
    rove(toolbar, target);
    target.focus();
  });

  root.addEventListener("focusin", function (event) {
    var toolbar = event.target.closest && event.target.closest("[role=toolbar]");
    if (toolbar && event.target.tagName === "BUTTON") { rove(toolbar, event.target); }
  });

  function renderQuestions() {
    var list = document.getElementById("questions");
    if (!list || editing !== null) { return; }
    var items = Array.from(questions.values()).filter(function (q) { return q.status !== "hidden"; });
    items.sort(order);
    if (display) {
      items = items.filter(function (q) { return q.status === "visible" && !q.answered; }).slice(0, Number(root.dataset.top || 6));
    }
    var template = document.getElementById("question-template");
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
    var focusKey = focused ? [focused.closest("li").dataset.id, focused.dataset.moderate || (focused.hasAttribute("data-vote") ? "vote" : "")] : null;
    list.replaceChildren.apply(list, items.map(function (q) {
      var li = template.content.firstElementChild.cloneNode(true);
      li.dataset.id = q.id;
      li.id = "question-" + q.id;
      $("[data-text]", li).textContent = q.text;
      var author = $("[data-author]", li);
      if (q.anonymous && !q.author) {
        author.textContent = author.dataset.anonymous;
      } else if (q.anonymous) {
        author.textContent = q.author + " " + author.dataset.anonymousToAudience;
      } else {
        author.textContent = q.author || "";
      }
      $("[data-votes]", li).textContent = q.votes;
      $("[data-pinned]", li).hidden = !q.pinned;
      $("[data-answered]", li).hidden = !q.answered;
      $("[data-pending]", li).hidden = q.status !== "pending";
      $("[data-edited]", li).hidden = !q.edited;
      li.classList.toggle("is-pinned", q.pinned);
      li.classList.toggle("is-answered", q.answered);
      var vote = $("[data-vote]", li);
      if (display || !state.can_take_part || q.status !== "visible") {
        vote.remove();
      } else {
        vote.setAttribute("aria-pressed", q.voted ? "true" : "false");
        vote.setAttribute("aria-label", $("[data-vote-label]", li).dataset.voteLabel + ": " + q.text.slice(0, 80));
      }
      var tools = $("[data-mod-tools]", li);
      if (state.can_moderate && !display) {
        tools.hidden = false;
        tools.querySelector("[data-moderate=approve]").hidden = q.status === "visible";
        tools.querySelector("[data-moderate=pin]").hidden = q.pinned || q.status !== "visible";
        tools.querySelector("[data-moderate=unpin]").hidden = !q.pinned;
        tools.querySelector("[data-moderate=answered]").hidden = q.answered;
        tools.querySelector("[data-moderate=unanswered]").hidden = !q.answered;
        tools.setAttribute("aria-label", tools.dataset.toolsLabel + ": " + q.text.slice(0, 80));
        rove(tools, null);
      } else {
        tools.remove();
        $("[data-edit-form]", li).remove();
      }
      return li;
    }));
    var empty = document.getElementById("no-questions");
    if (empty) { empty.hidden = items.length > 0; }
    if (focusKey) {
      var again = list.querySelector("li[data-id='" + focusKey[0] + "'] " + (focusKey[1] === "vote" ? "[data-vote]" : "[data-moderate='" + focusKey[1] + "']"));
      if (again && !again.hidden) {
        if (again.closest("[role=toolbar]")) { rove(again.closest("[role=toolbar]"), again); }
        again.focus();
      }
    }
  }

  function putQuestion(q) {
    var before = questions.get(q.id);
    if (before) {
      q.voted = before.voted;
      q.mine = before.mine;
    }
    questions.set(q.id, q);
  }

  /* --- chat ----------------------------------------------------------------------------------------- */

  function chatItem(m) {
    var li = document.getElementById("chat-template").content.firstElementChild.cloneNode(true);
    li.dataset.id = m.id;
    li.id = "chat-" + m.id;
    $("[data-author]", li).textContent = m.author;
    $("[data-text]", li).textContent = m.text;
    if (m.mine) { myChat.add(m.id); }
    if (!state.can_take_part || myChat.has(m.id)) { $("[data-report]", li).remove(); }
    if (state.can_moderate) { $("[data-delete]", li).hidden = false; } else { $("[data-delete]", li).remove(); }
    return li;
  }

  function addChat(m) {
    var list = document.getElementById("chat");
    if (!list || chatIds.has(m.id)) { return; }
    chatIds.add(m.id);
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(chatItem(m));
    while (list.children.length > 300) { chatIds.delete(Number(list.firstElementChild.dataset.id)); list.firstElementChild.remove(); }
    if (atBottom) { list.scrollTop = list.scrollHeight; }
  }

  function removeChat(id) {
    var item = document.getElementById("chat-" + id);
    if (item) { item.remove(); }
  }

  /* --- polls ---------------------------------------------------------------------------------------- */

  function renderPolls() {
    var box = document.getElementById("polls");
    if (!box) { return; }
    var template = document.getElementById("poll-template");
    var optionTemplate = document.getElementById("poll-option-template");
    var items = Array.from(polls.values()).filter(function (p) { return state.can_moderate || p.status !== "draft"; });
    if (display) { items = items.filter(function (p) { return p.status === "open"; }); }
    box.replaceChildren.apply(box, items.map(function (p) {
      var form = template.content.firstElementChild.cloneNode(true);
      form.dataset.id = p.id;
      form.id = "poll-" + p.id;
      $("[data-question]", form).textContent = p.question;
      var stateLine = $("[data-state]", form);
      stateLine.textContent = stateLine.dataset[p.status] + " · " + stateLine.dataset.ballots.replace("%(count)s", p.ballots);
      var total = Math.max(1, p.options.reduce(function (sum, o) { return sum + o.votes; }, 0));
      var canAnswer = state.can_take_part && !display && p.status === "open" && !p.answered;
      p.options.forEach(function (o) {
        var row = optionTemplate.content.firstElementChild.cloneNode(true);
        var input = $("[data-input]", row);
        input.type = p.multiple ? "checkbox" : "radio";
        input.name = "options";
        input.value = o.id;
        input.disabled = !canAnswer;
        input.checked = Boolean(p.answered && p.answered.indexOf(o.id) >= 0);
        if (!canAnswer) { input.hidden = true; }
        $("[data-label]", row).textContent = o.text;
        $("[data-bar]", row).style.width = Math.round(100 * o.votes / total) + "%";  // CSSOM: allowed by the CSP
        $("[data-votes]", row).textContent = o.votes;
        $("[data-options]", form).appendChild(row);
      });
      $("[data-answer]", form).hidden = !canAnswer;
      $("[data-answered-note]", form).hidden = !p.answered;
      var tools = $("[data-mod-tools]", form);
      if (state.can_moderate && !display) {
        tools.hidden = false;
        tools.querySelector("[data-poll-status=open]").hidden = p.status === "open";
        tools.querySelector("[data-poll-status=closed]").hidden = p.status !== "open";
      } else {
        tools.remove();
      }
      return form;
    }));
    var empty = document.getElementById("no-polls");
    if (empty) { empty.hidden = items.length > 0; }
  }

  function putPoll(p) {
    var before = polls.get(p.id);
    if (before && p.answered === undefined) { p.answered = before.answered; }
    polls.set(p.id, p);
  }

  /* --- state and messages --------------------------------------------------------------------------- */

  function load(fresh) {
    state = fresh;
    Object.keys(fresh.seq || {}).forEach(function (t) {
      if (lastSeq[t] === undefined) { lastSeq[t] = fresh.seq[t]; }
    });
    questions.clear();
    polls.clear();
    fresh.questions.forEach(function (q) { questions.set(q.id, q); });
    fresh.polls.forEach(function (p) { polls.set(p.id, p); });
    var chat = document.getElementById("chat");
    if (chat) { chat.replaceChildren(); chatIds.clear(); fresh.chat.forEach(addChat); chat.scrollTop = chat.scrollHeight; }
    renderQuestions();
    renderPolls();
  }

  /* After a reset: the whole state again. Messages that arrive meanwhile are applied after it, so the
     state read before them cannot undo them. */
  var held = null;

  function reload() {
    held = held || [];
    return fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fresh) { if (fresh) { load(fresh); } })
      .finally(function () {
        var waiting = held || [];
        held = null;
        waiting.forEach(function (frame) { apply(frame.data, frame.topic); });
      });
  }

  var viewerCount = document.getElementById("viewer-count");

  function apply(data, topic) {
    // Moderators receive every question on the moderators' topic, with its author; the audience's copy
    // of the same change would hide the author of an anonymous question again.
    if (state.can_moderate && topic && !/:mod$/.test(topic) && /^question/.test(data.kind)) { return; }
    switch (data.kind) {
      case "question": putQuestion(data.question); renderQuestions(); break;
      case "question_removed":
        if (!state.can_moderate) { questions.delete(data.id); renderQuestions(); }
        break;
      case "chat": addChat(data.message); break;
      case "chat_deleted": removeChat(data.id); break;
      case "poll": putPoll(data.poll); renderPolls(); break;
      case "viewers":
        if (viewerCount) {
          viewerCount.hidden = false;
          viewerCount.textContent = viewerCount.dataset.label.replace("%(count)s", data.count);
        }
        break;
      case "report":
        if (state.can_moderate) { say(data.report.message.author + ": " + data.report.message.text + " (" + data.report.reports + ")"); }
        break;
      default: break;
    }
  }

  function onFrame(frame) {
    if (frame.type === "message") {
      if (lastSeq[frame.topic] !== undefined && frame.seq <= lastSeq[frame.topic]) { return; }
      lastSeq[frame.topic] = frame.seq;
      if (held) { held.push(frame); } else { apply(frame.data, frame.topic); }
    } else if (frame.type === "reset") {
      lastSeq[frame.topic] = frame.seq;
      reload();
    } else if (frame.type === "welcome") {
      connectionState("live");
      Object.keys(frame.last_seq || {}).forEach(function (t) {
        if (lastSeq[t] === undefined) { lastSeq[t] = frame.last_seq[t]; }
      });
      if (frame.viewers !== undefined) { apply({ kind: "viewers", count: frame.viewers }); }
    }
  }

  /* --- the connection ------------------------------------------------------------------------------- */

  var socket = null;
  var source = null;
  var timer = null;
  var failures = 0;
  var opened = false;
  var everOpened = false;
  var useEvents = !("WebSocket" in window);
  var HEARTBEAT_MS = 20000;  // a ping this often; no answer within PONG_MS: the connection is dead
  var PONG_MS = 10000;
  var heartbeat = null;
  var pongDue = null;

  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.socket;
  }

  function stopHeartbeat() {
    window.clearInterval(heartbeat);
    window.clearTimeout(pongDue);
    heartbeat = pongDue = null;
  }

  function connect() {
    window.clearTimeout(timer);
    timer = null;
    if (socket || source) { return; }
    connectionState(failures ? "reconnecting" : "connecting");
    if (useEvents) { connectEvents(); return; }
    opened = false;
    var ws;
    try { ws = new WebSocket(socketUrl()); } catch (e) { useEvents = true; connectEvents(); return; }
    socket = ws;
    ws.addEventListener("open", function () {
      opened = everOpened = true;
      failures = 0;
      ws.send(JSON.stringify({ type: "hello", last_seq: lastSeq }));
      heartbeat = window.setInterval(function () {
        ws.send(JSON.stringify({ type: "ping", id: Date.now() }));
        window.clearTimeout(pongDue);
        pongDue = window.setTimeout(function () { ws.close(3000, "no answer"); }, PONG_MS);
      }, HEARTBEAT_MS);
    });
    ws.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }  // a frame we cannot read is skipped
      if (frame.type === "pong") { window.clearTimeout(pongDue); return; }
      onFrame(frame);
    });
    ws.addEventListener("close", function (event) {
      if (socket !== ws) { return; }
      socket = null;
      stopHeartbeat();
      if (event.code === 4403 || event.code === 4404) { connectionState("reconnecting"); return; }
      failures += 1;
      // A network that never let a WebSocket through (a proxy): Server-Sent Events instead. A connection
      // that worked and was lost (the network went away) tries the WebSocket again.
      if (!opened && !everOpened && failures >= 2 && navigator.onLine !== false) { useEvents = true; }
      retry();
    });
  }

  function connectEvents() {
    var parts = Object.keys(lastSeq).map(function (t) { return encodeURIComponent(t) + "=" + lastSeq[t]; });
    var es = new EventSource(root.dataset.events + (parts.length ? "?" + parts.join("&") : ""));
    source = es;
    es.addEventListener("message", function (event) {
      failures = 0;
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* skipped */ }
    });
    es.addEventListener("error", function () {
      connectionState("reconnecting");
      if (es.readyState === EventSource.CLOSED && source === es) { source = null; failures += 1; retry(); }
    });
  }

  function retry() {
    connectionState("reconnecting");
    var delay = Math.min(10000, 500 * Math.pow(2, Math.min(failures, 5))) * (0.5 + Math.random() / 2);
    window.clearTimeout(timer);
    timer = window.setTimeout(connect, delay);
  }

  // The browser knows the network went away before the connection does: close it now, and connect again
  // as soon as the network is back (resuming from the last sequence numbers seen).
  window.addEventListener("offline", function () {
    if (socket) { socket.close(3000, "offline"); }
    if (source) { source.close(); source = null; failures += 1; retry(); }
  });
  window.addEventListener("online", function () {
    if (!socket && !source) { failures = 0; connect(); }
  });

  /* --- actions -------------------------------------------------------------------------------------- */

  function url(what, pk) {
    return pk === undefined
      ? root.dataset.actUrl.replace("WHAT", what)
      : root.dataset.actOnUrl.replace("WHAT", what).replace(/\/0\/$/, "/" + pk + "/");
  }

  function send(what, pk, body) {
    body = body || new FormData();
    return fetch(url(what, pk), {
      method: "POST",
      body: body,
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().catch(function () { return { detail: r.statusText }; }).then(function (data) {
        if (!r.ok) { say(data.detail || r.statusText, true); throw data; }
        say(data.message || "");
        return data;
      });
    });
  }

  /* A moderator corrects a question in place: a form instead of its text, saved as a "edit" moderation. */
  function startEdit(item, id) {
    var form = $("[data-edit-form]", item);
    var field = $("[data-edit-text]", item);
    editing = id;
    field.id = "edit-" + id;
    $("[data-edit-label]", item).htmlFor = field.id;
    field.value = questions.get(id).text;
    $("[data-text]", item).hidden = true;
    $("[data-mod-tools]", item).hidden = true;
    form.hidden = false;
    field.focus();
  }

  function endEdit(id) {
    editing = null;
    renderQuestions();
    var again = document.querySelector("#question-" + id + " [data-moderate=edit]");
    if (again) { again.focus(); }
  }

  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && editing !== null && event.target.hasAttribute("data-edit-text")) {
      endEdit(editing);
    }
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    var what = form.dataset.liveForm;
    if (form.hasAttribute("data-edit-form")) {
      event.preventDefault();
      var editId = editing;
      var correction = new FormData();
      correction.append("action", "edit");
      correction.append("text", form.elements.text.value);
      send("moderate", editId, correction).then(function () { endEdit(editId); }).catch(function () {});
      return;
    }
    if (form.classList.contains("poll")) {
      event.preventDefault();
      var pollId = Number(form.dataset.id);
      var data = new FormData(form);
      send("answer", pollId, data).then(function () {
        var p = polls.get(pollId);
        if (p) { p.answered = data.getAll("options").map(Number); renderPolls(); }
      }).catch(function () {});
      return;
    }
    if (!what) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    send(what, undefined, new FormData(form)).then(function (data) {
      if (what === "chat" && data.id) {
        myChat.add(data.id);
        var shown = document.querySelector("#chat-" + data.id + " [data-report]");
        if (shown) { shown.remove(); }
      }
      form.reset();
    }).catch(function () {}).finally(function () {
      if (button) { button.disabled = false; }
    });
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !root.contains(button)) { return; }
    var item = button.closest("[data-id]");
    var id = item ? Number(item.dataset.id) : undefined;
    var body = new FormData();
    if (button.hasAttribute("data-vote")) {
      var q = questions.get(id);
      send(q && q.voted ? "unvote" : "vote", id).then(function () {
        var current = questions.get(id);
        if (current) { current.voted = !(q && q.voted); renderQuestions(); }
      }).catch(function () {});
    } else if (button.dataset.moderate) {
      body.append("action", button.dataset.moderate);
      if (button.dataset.moderate === "edit") {
        startEdit(item, id);
        return;
      }
      send("moderate", id, body).catch(function () {});
    } else if (button.hasAttribute("data-edit-cancel")) {
      endEdit(id);
    } else if (button.hasAttribute("data-report")) {
      var reason = window.prompt(button.dataset.prompt, "");
      if (reason === null) { return; }
      body.append("reason", reason);
      send("report", id, body).then(function () { button.disabled = true; }).catch(function () {});
    } else if (button.hasAttribute("data-delete")) {
      send("delete_chat", id).catch(function () {});
    } else if (button.dataset.pollStatus) {
      body.append("status", button.dataset.pollStatus);
      send("poll_status", id, body).catch(function () {});
    }
  });

  /* The poll form shows four answers; "Add an answer" shows the next (without script all ten show). */
  var extraRows = Array.from(root.querySelectorAll("[data-extra-answer]"));
  var addAnswer = document.getElementById("add-answer");
  function hideEmptyExtraRows() {
    extraRows.forEach(function (row) {
      row.hidden = Array.from(row.querySelectorAll("input")).every(function (input) { return !input.value; });
    });
    if (addAnswer) { addAnswer.hidden = !extraRows.some(function (row) { return row.hidden; }); }
  }
  if (addAnswer && extraRows.length) {
    hideEmptyExtraRows();
    addAnswer.addEventListener("click", function () {
      var next = extraRows.find(function (row) { return row.hidden; });
      if (next) { next.hidden = false; next.querySelector("input").focus(); }
      addAnswer.hidden = !extraRows.some(function (row) { return row.hidden; });
    });
    addAnswer.closest("form").addEventListener("reset", function () { setTimeout(hideEmptyExtraRows, 0); });
  }

  load(state);
  connect();
  window.summitLive = { lastSeq: lastSeq, reload: reload, state: function () { return state; } };
})();
