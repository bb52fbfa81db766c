// The review inbox's keyboard (docs/review.md, "Review pages"): j/k move, a accept,
// r relabel (intent picker), e fix entities, o out of scope, s skip, u undo, ? help.
// Every action is a POST with the session's CSRF token; the row changes in place and the
// next rows are fetched as the reviewer reaches the end. Member text is only ever put
// into the page with textContent; the words come from the page (review_text.py).
(function () {
  "use strict";
  var body = document.body;
  if (body.dataset.page !== "review-inbox") return;
  var csrf = body.dataset.csrf || "";
  var LABELS = JSON.parse(body.dataset.reviewLabels || "{}");
  var list = document.getElementById("review-items");
  var INTENTS = JSON.parse(list.dataset.intents || "[]");
  var TYPES = JSON.parse(list.dataset.entityTypes || "[]");
  var picker = document.getElementById("intent-picker");
  var search = document.getElementById("intent-search");
  var options = document.getElementById("intent-options");
  var bar = document.getElementById("entity-bar");
  var help = document.getElementById("shortcuts");
  var selected = -1;
  var mode = "list";  // list, picker, entities, help
  var busy = false;  // one action at a time: a fast reviewer must not decide twice
  var matches = [];
  var active = 0;
  var editing = null;  // {row, marks: [{entity, start, end}], anchor, focus}

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showNotice(text, isError) {
    var notice = document.getElementById("notice");
    if (!notice || !text) return;
    notice.textContent = text;
    notice.hidden = false;
    notice.classList.toggle("error", !!isError);
  }

  function networkError() {
    busy = false;
    showNotice(LABELS.notices.network, true);
  }

  function postJSON(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json",
                 "X-CSRF-Token": csrf },
      body: JSON.stringify(data || {})
    }).then(function (response) {
      return response.json().then(function (answer) { return answer; });
    });
  }

  // ------------------------------------------------------------ rows and selection
  function rows() { return Array.prototype.slice.call(list.querySelectorAll(".review-item")); }
  function current() { return rows()[selected] || null; }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(index, all.length - 1));
    if (all[selected]) all[selected].classList.remove("selected");
    selected = index;
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
    if (index >= all.length - 1) loadMore();
  }

  function move(step) {
    var all = rows();
    if (step > 0 && selected >= all.length - 1) {
      loadMore(function () { select(selected + 1); });
      return;
    }
    select(selected + step);
  }

  // The next rows: what the server's list holds after the rows shown. With the
  // unreviewed filter, the rows decided here have left that list.
  var loading = false;
  function loadMore(then) {
    var link = document.getElementById("next-page");
    if (!link || loading) return;
    var shown = rows();
    var offset = list.dataset.unreviewed === "1"
      ? shown.filter(function (r) { return !r.dataset.decisionAction; }).length
      : shown.length;
    var url = new URL(link.href, window.location.href);
    url.searchParams.delete("page");
    url.searchParams.set("offset", String(offset));
    url.searchParams.set("fragment", "1");
    loading = true;
    fetch(url.toString(), { credentials: "same-origin" }).then(function (response) {
      var more = response.headers.get("X-More") === "1";
      return response.text().then(function (html) {
        loading = false;
        var parsed = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html");
        parsed.querySelectorAll(".review-item").forEach(function (row) {
          if (!document.getElementById(row.id)) list.appendChild(document.importNode(row, true));
        });
        if (!more) link.parentNode.remove();
        if (then) then();
      });
    }, function () { loading = false; networkError(); });
  }

  function applyDecision(row, decision, label) {
    row.dataset.decisionAction = decision ? decision.action : "";
    row.dataset.decisionIntent = decision && decision.intent ? decision.intent : "";
    var tag = row.querySelector(".decision");
    tag.textContent = label;
    tag.classList.toggle("decided", !!decision);
  }

  function decide(row, fields) {
    if (busy || !row) return;
    busy = true;
    postJSON("/console/review/messages/" + row.dataset.messageId + "/decision", fields)
      .then(function (answer) {
        busy = false;
        if (!answer.ok) { showNotice(answer.message, true); return; }
        applyDecision(row, answer.decision, answer.label);
        showNotice(answer.message, false);
        if (rows()[selected] === row) move(1);
      }, networkError);
  }

  function undo() {
    if (busy) return;
    busy = true;
    postJSON("/console/review/undo").then(function (answer) {
      busy = false;
      if (!answer.ok) { showNotice(answer.message, true); return; }
      showNotice(answer.message, false);
      var row = document.getElementById("m-" + answer.message_id);
      if (!row) return;
      applyDecision(row, answer.decision, answer.label);
      drawText(row, botEntities(row), null);
      select(rows().indexOf(row));
    }, networkError);
  }

  // ------------------------------------------------------------ the text and its entities
  // Offsets are Python's: code points of the masked text (Array.from, not UTF-16).
  function chars(row) { return Array.from(row.querySelector(".text").textContent); }

  function botEntities(row) {
    return JSON.parse(row.dataset.entities || "[]").filter(function (e) {
      return typeof e.start === "number" && typeof e.end === "number";
    });
  }

  function drawText(row, marks, pending) {
    var textEl = row.querySelector(".text");
    var text = chars(row);
    var kind = text.map(function () { return ""; });
    marks.forEach(function (m) {
      for (var i = m.start; i < m.end && i < text.length; i++) kind[i] = m.entity;
    });
    textEl.replaceChildren();
    var i = 0;
    while (i <= text.length) {
      if (pending && pending.start === pending.end && i === pending.start) {
        textEl.appendChild(el("span", "caret"));
      }
      if (i === text.length) break;
      var inPending = pending && i >= pending.start && i < pending.end;
      var j = i;
      while (j < text.length && kind[j] === kind[i] &&
             (pending && j >= pending.start && j < pending.end) === inPending &&
             !(pending && pending.start === pending.end && j === pending.start && j > i)) j++;
      var piece = text.slice(i, j).join("");
      if (inPending) {
        textEl.appendChild(el("mark", "pending", piece));
      } else if (kind[i]) {
        var mark = el("mark", "ent ent-" + kind[i], piece);
        mark.title = LABELS.entities[kind[i]] || kind[i];
        textEl.appendChild(mark);
      } else {
        textEl.appendChild(document.createTextNode(piece));
      }
      i = j;
    }
  }

  function offsetIn(textEl, node, offset) {
    var before = document.createRange();
    before.selectNodeContents(textEl);
    before.setEnd(node, offset);
    return Array.from(before.toString()).length;
  }

  // A mouse selection inside the row's text, as offsets; null without one.
  function mouseSelection(row) {
    var selection = window.getSelection();
    if (!selection || !selection.rangeCount || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var textEl = row.querySelector(".text");
    if (!textEl.contains(range.startContainer) || !textEl.contains(range.endContainer)) return null;
    var span = { start: offsetIn(textEl, range.startContainer, range.startOffset),
                 end: offsetIn(textEl, range.endContainer, range.endOffset) };
    selection.removeAllRanges();
    return span;
  }

  function pendingSpan() {
    return { start: Math.min(editing.anchor, editing.focus),
             end: Math.max(editing.anchor, editing.focus) };
  }

  function redraw() { drawText(editing.row, editing.marks, pendingSpan()); }

  function startEntities(row) {
    if (!row) return;
    var marks = botEntities(row).filter(function (e) { return TYPES.indexOf(e.entity) >= 0; })
      .map(function (e) { return { entity: e.entity, start: e.start, end: e.end }; });
    var chosen = mouseSelection(row) || { start: 0, end: 0 };
    editing = { row: row, marks: marks, anchor: chosen.start, focus: chosen.end };
    mode = "entities";
    row.classList.add("editing");
    bar.hidden = false;
    redraw();
  }

  function stopEntities(saved) {
    var row = editing.row;
    drawText(row, saved ? editing.marks : botEntities(row), null);
    row.classList.remove("editing");
    bar.hidden = true;
    editing = null;
    mode = "list";
  }

  function addMark(type) {
    var span = pendingSpan();
    if (span.start === span.end) { showNotice(LABELS.notices.entity_pick, true); return; }
    editing.marks = editing.marks.filter(function (m) {
      return m.end <= span.start || m.start >= span.end;
    });
    editing.marks.push({ entity: type, start: span.start, end: span.end });
    editing.anchor = editing.focus = span.end;
    redraw();
  }

  function saveEntities() {
    var row = editing.row;
    var fields = row.dataset.decisionAction === "relabel"
      ? { action: "relabel", intent: row.dataset.decisionIntent }
      : { action: "accept" };
    fields.entities = editing.marks.slice().sort(function (a, b) { return a.start - b.start; });
    stopEntities(true);
    decide(row, fields);
  }

  function entityKey(event) {
    var length = chars(editing.row).length;
    var key = event.key;
    if (key === "Escape") { stopEntities(false); }
    else if (key === "Enter") { saveEntities(); }
    else if (key === "Backspace") { editing.marks.pop(); redraw(); }
    else if (key === "ArrowRight" || key === "ArrowLeft") {
      var step = key === "ArrowRight" ? 1 : -1;
      editing.focus = Math.max(0, Math.min(length, editing.focus + step));
      if (!event.shiftKey) editing.anchor = editing.focus;
      redraw();
    } else if (key === "Home" || key === "End") {
      editing.focus = key === "Home" ? 0 : length;
      if (!event.shiftKey) editing.anchor = editing.focus;
      redraw();
    } else if (/^[1-9]$/.test(key) && TYPES[Number(key) - 1]) {
      addMark(TYPES[Number(key) - 1]);
    } else { return; }
    event.preventDefault();
  }

  bar.querySelectorAll("button[data-entity]").forEach(function (button) {
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () {
      if (editing) addMark(button.dataset.entity);
    });
  });

  list.addEventListener("mouseup", function (event) {
    if (!editing || !editing.row.contains(event.target)) return;
    var span = mouseSelection(editing.row);
    if (!span) return;
    editing.anchor = span.start;
    editing.focus = span.end;
    redraw();
  });

  // ------------------------------------------------------------ the intent picker
  function drawOptions() {
    var query = search.value.trim().toLowerCase();
    matches = INTENTS.filter(function (i) { return i.toLowerCase().indexOf(query) >= 0; });
    matches.sort(function (a, b) {  // names starting with what was typed first
      return (a.toLowerCase().indexOf(query) !== 0) - (b.toLowerCase().indexOf(query) !== 0);
    });
    active = 0;
    options.replaceChildren();
    matches.forEach(function (intent, index) {
      var li = el("li", index === 0 ? "active" : "", intent);
      li.dataset.intent = intent;
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(intent);
      });
      options.appendChild(li);
    });
  }

  function highlight(index) {
    var items = options.querySelectorAll("li");
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach(function (li, i) { li.classList.toggle("active", i === active); });
    items[active].scrollIntoView({ block: "nearest" });
  }

  function openPicker() {
    if (!current()) return;
    mode = "picker";
    picker.hidden = false;
    search.value = "";
    drawOptions();
    search.focus();
  }

  function closePicker() {
    picker.hidden = true;
    mode = "list";
    search.blur();
  }

  function choose(intent) {
    var row = current();
    closePicker();
    if (intent) decide(row, { action: "relabel", intent: intent });
  }

  search.addEventListener("input", drawOptions);
  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") highlight(active + 1);
    else if (event.key === "ArrowUp") highlight(active - 1);
    else if (event.key === "Enter") choose(matches[active]);
    else if (event.key === "Escape") closePicker();
    else return;
    event.preventDefault();
  });
  picker.addEventListener("mousedown", function (event) {
    if (event.target === picker) { event.preventDefault(); closePicker(); }
  });

  // ------------------------------------------------------------ keys
  function toggleHelp() {
    help.hidden = !help.hidden;
    mode = help.hidden ? "list" : "help";
  }

  document.addEventListener("keydown", function (event) {
    if (mode === "picker") return;  // the search box has its own keys
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (mode === "help") {
      if (event.key === "?" || event.key === "Escape") { toggleHelp(); event.preventDefault(); }
      return;
    }
    if (mode === "entities") { entityKey(event); return; }
    var row = current();
    switch (event.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "a": decide(row, { action: "accept" }); break;
      case "r": openPicker(); break;
      case "e": startEntities(row); break;
      case "o": decide(row, { action: "out_of_scope" }); break;
      case "s": decide(row, { action: "skip" }); break;
      case "u": undo(); break;
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  list.addEventListener("click", function (event) {
    var row = event.target.closest(".review-item");
    if (!row || editing || event.target.closest("a, input, button, summary, form")) return;
    select(rows().indexOf(row));
  });

  // ------------------------------------------------------------ 显示原文 (admins)
  list.addEventListener("submit", function (event) {
    var form = event.target.closest(".unmask-form");
    if (!form) return;
    event.preventDefault();
    var reason = form.querySelector("input[name=reason]").value.trim();
    if (!reason) { showNotice(LABELS.unmask_reason, true); return; }
    postJSON(form.action, { reason: reason }).then(function (answer) {
      if (!answer.ok) { showNotice(answer.message, true); return; }
      var raw = form.parentNode.querySelector(".raw");
      raw.textContent = LABELS.raw + answer.text;
      raw.hidden = false;
      form.hidden = true;
    }, networkError);
  });

  var wanted = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  select(wanted ? rows().indexOf(wanted) : 0);
})();
