// The manager console's live parts: the queue and a conversation update themselves over
// Server-Sent Events; replies and notes are sent without leaving the page. Member text
// is only ever put into the page with textContent, never as HTML.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.dataset.csrf || "";
  var page = body.dataset.page;
  // Every word this script writes comes from bot/gateway/messages.py (script_labels),
  // carried by each page.
  var LABELS = JSON.parse(body.dataset.labels || "{}");
  var AUTHORS = LABELS.authors || {};
  // A plain form (claim, hand back, close) is on its way: its answer loads the page, so
  // a live update must not reload it meanwhile (that would abort the request).
  var leaving = false;
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leaving = true;
  });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function shortTime(iso) {
    if (!iso) return "";
    return iso.slice(5, 10) + " " + iso.slice(11, 16);
  }

  function showNotice(text, isError) {
    var notice = document.getElementById("notice");
    if (!notice || !text) return;
    notice.textContent = text;
    notice.hidden = false;
    notice.classList.toggle("error", !!isError);
  }

  function post(url, fields) {
    var form = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf,
                 "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString()
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function listen(url, handlers) {
    var source = new EventSource(url);
    Object.keys(handlers).forEach(function (type) {
      source.addEventListener(type, function (event) { handlers[type](JSON.parse(event.data)); });
    });
    return source;
  }

  // ---------------------------------------------------------------- the queue
  function queueRow(item) {
    var row = el("tr", "p" + item.priority + (item.urgent ? " urgent" : "") +
                       (item.breach ? " breach" : ""));
    row.dataset.kind = item.kind;
    row.dataset.id = item.id;
    row.dataset.urgent = item.urgent ? "1" : "";
    row.appendChild(el("td", null, item.priority));
    row.appendChild(el("td", null, item.kind_label));
    var who = el("td");
    var link = el("a", null, item.member_label);
    link.href = "/console/conversations/" + item.conversation_id;
    link.title = item.member;  // the chat identity as stored
    who.appendChild(link);
    row.appendChild(who);
    row.appendChild(el("td", null, item.reason_label));
    var waited = el("td", null, item.waited);
    if (item.breach) {
      waited.appendChild(document.createTextNode(" "));
      waited.appendChild(el("span", "badge breach-badge", LABELS.breach));
    }
    row.appendChild(waited);
    row.appendChild(el("td", "preview", item.preview));
    var cell = el("td");
    if (body.dataset.canAct === "1") {
      var form = el("form", "inline claim");
      form.method = "post";
      form.action = item.kind === "ticket" ? "/console/tickets/" + item.id + "/claim"
                                           : "/console/conversations/" + item.id + "/claim";
      var token = el("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
      form.appendChild(token);
      form.appendChild(el("button", null, LABELS.claim));
      cell.appendChild(form);
    }
    row.appendChild(cell);
    return row;
  }

  // An emergency or a crisis that joins the queue: a sound (where the browser allows
  // it) and a visual alert that stays until the row is gone.
  // An alert's keys now against those of the last look: the ones new since then (none on
  // the first look, which is the page loading), and the title's prefix while any is there.
  function Watched(prefix) {
    this.prefix = prefix;
    this.seen = null;
  }
  Watched.prototype.update = function (keys) {
    var seen = this.seen;
    this.seen = keys;
    document.title = (keys.length ? this.prefix : "") + document.title.replace(this.prefix, "");
    return seen === null ? [] : keys.filter(function (key) { return seen.indexOf(key) < 0; });
  };

  var urgentWatch = new Watched(LABELS.urgent_title);
  function alertNewEmergencies(items) {
    var urgent = items.filter(function (item) { return item.urgent; })
                      .map(function (item) { return item.kind + ":" + item.id; });
    var fresh = urgentWatch.update(urgent);
    var banner = document.getElementById("urgent-banner");
    if (banner) banner.hidden = urgent.length === 0;
    if (!fresh.length) return;
    fresh.forEach(function (key) {
      var parts = key.split(":");
      var row = document.querySelector('#queue-rows tr[data-kind="' + parts[0] + '"][data-id="' + parts[1] + '"]');
      if (row) row.classList.add("alert-flash");
    });
    sound(880);
  }

  function sound(frequency) {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.6);
    } catch (error) { /* no sound without a user gesture: the visual alert stays */ }
  }

  // A member of the manager's own list whose question waits past the next-response
  // target: the line flashes once, a lower tone sounds, the title says 【待回复】.
  var replyWatch = new Watched(LABELS.reply_title);
  function promptOverdueReplies(mine) {
    var fresh = replyWatch.update(mine.filter(function (c) { return c.reply_breach; })
                                      .map(function (c) { return String(c.id); }));
    fresh.forEach(function (id) {
      var item = document.querySelector('#mine li[data-id="' + id + '"]');
      if (item) item.classList.add("alert-flash");
    });
    if (fresh.length) sound(660);
  }

  function refreshQueue() {
    fetch("/console/api/queue", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var rows = document.getElementById("queue-rows");
        rows.replaceChildren();
        if (!data.items.length) {
          var empty = el("tr", "empty");
          var cell = el("td", null, LABELS.queue_empty);
          cell.colSpan = 7;
          empty.appendChild(cell);
          rows.appendChild(empty);
        }
        data.items.forEach(function (item) { rows.appendChild(queueRow(item)); });
        alertNewEmergencies(data.items);
        var mine = document.getElementById("mine");
        mine.replaceChildren();
        data.mine.forEach(function (c) {
          var li = el("li");
          li.dataset.id = c.id;
          var link = el("a", null, c.member_label);
          link.href = "/console/conversations/" + c.id;
          link.title = c.member;
          li.appendChild(link);
          li.appendChild(document.createTextNode(" · " + c.reason_label));
          if (c.awaiting) {
            li.appendChild(document.createTextNode(" · "));
            li.appendChild(el("span", "awaiting" + (c.reply_breach ? " breach" : ""),
                              c.awaiting));
          }
          if (c.overdue) {
            li.appendChild(document.createTextNode(" · "));
            li.appendChild(el("span", "badge breach-badge overdue", c.overdue));
          }
          mine.appendChild(li);
        });
        if (!data.mine.length) mine.appendChild(el("li", "empty", LABELS.nothing));
        promptOverdueReplies(data.mine);
      });
  }

  // ---------------------------------------------------------------- a conversation
  // The same nodes as the conversation.html macros.
  function mediaNode(x) {
    var node = el("div", "media media-" + x.state);
    node.dataset.mediaId = x.id;
    node.dataset.state = x.state;
    var url = "/console/media/" + encodeURIComponent(x.id);
    if (x.state === "stored" && x.inline) {
      var link = el("a");
      link.href = url; link.target = "_blank"; link.rel = "noopener"; link.title = x.label;
      var img = el("img", "thumb");
      img.src = url; img.alt = x.label;
      link.appendChild(img);
      node.appendChild(link);
    } else if (x.state === "stored") {
      var download = el("a", null, x.label);
      download.href = url;
      download.setAttribute("download", "");
      node.appendChild(download);
    } else {
      node.appendChild(el("span", x.state === "failed" ? "error" : "hint", x.label));
    }
    return node;
  }

  function deliveryNode(m) {
    // A live event carries the state and the reason; the page's labels say them.
    if (m.delivery_state) {
      var label = m.delivery_label;
      if (!label) {
        label = (LABELS.delivery || {})[m.delivery_state] || m.delivery_state;
        if ((LABELS.with_reason || []).indexOf(m.delivery_state) >= 0 && m.delivery_error) {
          label += "：" + m.delivery_error;
        }
      }
      var node = el("p", "delivery delivery-" + m.delivery_state, label);
      if (m.delivery_error) node.title = m.delivery_error;
      return node;
    }
    if (m.delivery_error) return el("p", "error", LABELS.delivery_failed || "");
    return null;
  }

  // What the bot understood: the short line, and the raw reading behind 详情.
  function nluNodes(m) {
    var nodes = [el("p", "nlu", m.understanding || "")];
    if (m.understanding_details && m.understanding_details.length) {
      var details = el("details", "nlu-details");
      details.appendChild(el("summary", null, LABELS.details));
      var list = el("dl");
      m.understanding_details.forEach(function (row) {
        list.appendChild(el("dt", null, row.label));
        list.appendChild(el("dd", null, row.text));
      });
      details.appendChild(list);
      nodes.push(details);
    }
    return nodes;
  }

  function messageNode(m) {
    var node = el("article", "msg msg-" + m.author);
    node.dataset.id = m.id;
    var header = el("header");
    header.appendChild(el("span", "author", m.author_name || AUTHORS[m.author] || m.author));
    header.appendChild(document.createTextNode(" "));
    header.appendChild(el("time", null, shortTime(m.created_at)));
    node.appendChild(header);
    node.appendChild(el("p", "text", m.text));
    if (m.media) node.appendChild(mediaNode(m.media));
    if (m.buttons && m.buttons.length) {
      var buttons = el("p", "buttons");
      m.buttons.forEach(function (b) { buttons.appendChild(el("span", "chip", b.title)); });
      node.appendChild(buttons);
    }
    if (m.author === "member") nluNodes(m).forEach(function (n) { node.appendChild(n); });
    var delivery = deliveryNode(m);
    if (delivery) node.appendChild(delivery);
    return node;
  }

  function showMessage(m) {
    var transcript = document.getElementById("transcript");
    var existing = transcript.querySelector('article[data-id="' + m.id + '"]');
    var node = messageNode(m);
    // The gateway's live events carry no media ("media" is only in the console's own
    // answers): keep what the page shows, and ask for it when it may have changed.
    if (!("media" in m)) {
      var shown = existing && existing.querySelector(".media");
      if (shown) node.querySelector(".text").after(shown);
      if (m.author === "member" && body.dataset.channel !== "web" &&
          (!shown || shown.dataset.state === "pending")) {
        refreshMessage(m.id, 0);
      }
    } else if (m.media && m.media.state === "pending") {
      refreshMessage(m.id, 0);
    }
    if (existing) {
      // A 详情 the manager opened stays open.
      if (existing.querySelector("details.nlu-details[open]")) {
        var opened = node.querySelector("details.nlu-details");
        if (opened) opened.open = true;
      }
      existing.replaceWith(node);  // e.g. what the bot understood arrived later
    } else {
      transcript.appendChild(node);
      transcript.scrollTop = transcript.scrollHeight;
    }
  }

  // A member's photo is downloaded after the message is stored: look again a few times
  // (1, 2, 4, 8, 16 s) until it is stored or failed.
  var refreshing = {};
  function refreshMessage(messageId, attempt) {
    if (refreshing[messageId] && attempt === 0) return;
    if (attempt > 4) { delete refreshing[messageId]; return; }
    refreshing[messageId] = true;
    window.setTimeout(function () {
      fetch("/console/api/conversations/" + body.dataset.conversationId + "?after=" +
            (Number(messageId) - 1),
            { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var m = data.messages.filter(function (x) { return x.id === Number(messageId); })[0];
          if (!m) { delete refreshing[messageId]; return; }
          if (m.media && m.media.state === "pending") {
            refreshMessage(messageId, attempt + 1);
          } else {
            delete refreshing[messageId];
          }
          showMessage(m);
        }, function () { delete refreshing[messageId]; });
    }, 1000 * Math.pow(2, attempt));
  }

  function showNote(n) {
    var notes = document.getElementById("notes");
    if (notes.querySelector('li[data-id="' + n.id + '"]')) return;
    var li = el("li");
    li.dataset.id = n.id;
    li.appendChild(el("b", null, n.author_name));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("time", null, shortTime(n.created_at)));
    li.appendChild(el("p", "text", n.text));
    notes.appendChild(li);
  }

  function catchUp(id) {
    // After (re)connecting: whatever arrived while the stream was down, and the state.
    var last = document.querySelector("#transcript article:last-of-type");
    var after = last ? last.dataset.id : "0";
    fetch("/console/api/conversations/" + id + "?after=" + after,
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.messages.forEach(showMessage);
        data.notes.forEach(showNote);
        var c = data.conversation;
        if (!leaving && (c.state !== body.dataset.state ||
                         String(c.owner_id || "") !== body.dataset.ownerId)) {
          window.location.reload();  // claimed, handed back or closed elsewhere
        }
      });
  }

  function sendFromForm(form, onDone) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = {};
      new FormData(form).forEach(function (value, key) { fields[key] = value; });
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      post(form.action, fields).then(function (result) {
        button.disabled = false;
        if (result.data.ok) { onDone(result.data); } else { showNotice(result.data.message, true); }
      }, function () { button.disabled = false; showNotice(LABELS.network_error, true); });
    });
  }

  if (page === "queue") {
    alertNewEmergencies(Array.prototype.map.call(
      document.querySelectorAll("#queue-rows tr[data-id]"), function (row) {
        return { kind: row.dataset.kind, id: row.dataset.id, urgent: row.dataset.urgent === "1" };
      }));
    listen("/console/events", { ready: refreshQueue, queue: refreshQueue });
    // Waits grow without any event: the queue's times, 超时 and the own list's prompts
    // are brought up to date twice a minute as well.
    window.setInterval(refreshQueue, 30000);
  }

  if (page === "conversation") {
    var id = body.dataset.conversationId;
    var transcript = document.getElementById("transcript");
    transcript.scrollTop = transcript.scrollHeight;
    transcript.querySelectorAll('.media[data-state="pending"]').forEach(function (node) {
      refreshMessage(node.closest("article").dataset.id, 0);
    });
    listen("/console/events?conversation=" + id, {
      ready: function () { catchUp(id); },
      message: function (event) { showMessage(event.message); },
      note: function (event) { showNote(event.note); },
      state: function () { catchUp(id); }
    });
    var replyForm = document.getElementById("reply-form");
    if (replyForm) {
      sendFromForm(replyForm, function () {
        document.getElementById("reply-text").value = "";
        document.getElementById("canned-name").value = "";
        document.getElementById("canned").value = "";
      });
      document.getElementById("canned").addEventListener("change", function (event) {
        var option = event.target.selectedOptions[0];
        if (!option || !option.value) return;
        document.getElementById("reply-text").value = option.dataset.text;
        document.getElementById("canned-name").value = option.value;
      });
      // Shortcodes: typing /直付 lists the matches; Tab (or Enter) on a single or exact
      // match puts its text in the box, variables already filled by the server.
      var reply = document.getElementById("reply-text");
      var hint = document.getElementById("canned-hint");
      var shortcuts = Array.prototype.filter.call(
        document.querySelectorAll("#canned option"), function (o) { return o.dataset.shortcode; });
      function matches() {
        var typed = reply.value.trim();
        if (typed.charAt(0) !== "/" && typed.charAt(0) !== "／") return [];
        typed = "/" + typed.slice(1);
        var found = shortcuts.filter(function (o) { return o.dataset.shortcode.indexOf(typed) === 0; });
        var exact = found.filter(function (o) { return o.dataset.shortcode === typed; });
        return exact.length ? exact.concat(found.filter(function (o) { return exact.indexOf(o) < 0; })) : found;
      }
      reply.addEventListener("input", function () {
        var found = matches();
        hint.hidden = !found.length;
        hint.textContent = found.map(function (o) {
          return o.dataset.shortcode + " " + o.textContent.replace(/（.*）$/, "");
        }).join("　") + (found.length ? "　" + LABELS.tab_hint : "");
      });
      reply.addEventListener("keydown", function (event) {
        if (event.key !== "Tab" && !(event.key === "Enter" && !event.shiftKey)) return;
        var found = matches();
        if (!found.length) return;
        event.preventDefault();
        reply.value = found[0].dataset.text;
        document.getElementById("canned-name").value = found[0].value;
        hint.hidden = true;
      });
    }
    var noteForm = document.getElementById("note-form");
    if (noteForm) {
      sendFromForm(noteForm, function () { noteForm.querySelector("textarea").value = ""; });
    }
  }
})();
