// The member's web chat: a conversation token kept in localStorage, history reloaded
// from the server, replies (the bot's, a manager's) pushed over Server-Sent Events: the
// stream is the one way a reply reaches the page (the POST of a message says only that
// it is stored). Each time the stream (re)connects, the page loads what came after the
// last message it has, and shows each message once (by id; its own by client id).
// Everything anyone wrote is put into the page with textContent, never as HTML.
// A message the gateway refused (too fast: 429, or any failure) is never lost: its
// bubble says 未发送, the text goes back into the input, and sending it again reuses its
// client id (the gateway drops a retry of a message it did store).
(function () {
  "use strict";
  var STORE = "hm_chat";
  var DEMO = document.body.dataset.demo === "1";
  var session = null;  // {token, member, wanted}
  var source = null;
  var shown = {};      // message id -> node
  var lastId = 0;      // the newest message the server sent (stream or history)
  var sending = {};    // client id -> the bubble of a message being sent
  var lastButtons = null;
  var unsent = null;   // {text, payload, id, node}: the last message refused
  var coolingUntil = 0;  // Date.now() before which sending waits (Retry-After)
  var AUTHORS = { bot: "智能助手", system: "系统消息", manager: "健康管家" };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function status(text, gentle) {
    $("status").textContent = text || "";
    $("status").hidden = !text;
    $("status").classList.toggle("gentle", !!gentle);
  }

  function startStatus(text) {
    $("start-status").textContent = text || "";
    $("start-status").hidden = !text;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (session) headers["Authorization"] = "Bearer " + session.token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers,
                         body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var error = new Error(data.error || "请求失败");
            error.status = response.status;
            error.retryAfter = data.retry_after || Number(response.headers.get("Retry-After")) || 0;
            throw error;
          }
          return data;
        });
      });
  }

  function bubble(m) {
    var node = el("div", "msg msg-" + m.author);
    if (m.id) node.dataset.id = m.id;
    if (m.author !== "member") {
      node.appendChild(el("div", "who", m.author === "manager" && m.author_name
        ? "健康管家 " + m.author_name : AUTHORS[m.author] || ""));
    }
    node.appendChild(el("div", "text", m.text));
    return node;
  }

  function renderQuickReplies(m) {
    var quick = $("quick");
    quick.replaceChildren();
    if (!m || m.author === "member" || !m.buttons || !m.buttons.length) return;
    m.buttons.forEach(function (b) {
      var button = el("button", "chip", b.title);
      button.type = "button";
      button.addEventListener("click", function () { send(b.title, b.payload); });
      quick.appendChild(button);
    });
  }

  function show(m) {
    if (m.id > lastId) lastId = m.id;
    if (m.id && shown[m.id]) return;
    if (m.client_id && sending[m.client_id]) {
      // A message of ours still being sent: its bubble is on the page already.
      shown[m.id] = sending[m.client_id];
      shown[m.id].dataset.id = m.id;
      return;
    }
    var node = bubble(m);
    if (m.id) shown[m.id] = node;
    $("messages").appendChild(node);
    $("messages").scrollTop = $("messages").scrollHeight;
    if (m.author !== "member") { lastButtons = m; renderQuickReplies(m); }
  }

  // What came after the last message the page has (all of it the first time).
  function loadHistory() {
    return api("GET", "/chat/api/history?after=" + lastId).then(function (data) {
      data.messages.forEach(show);
    });
  }

  function connect() {
    if (source) source.close();
    source = new EventSource("/chat/api/events?token=" + encodeURIComponent(session.token));
    source.addEventListener("message", function (event) { show(JSON.parse(event.data).message); });
    // (Re)connected: fetch whatever arrived while the stream was down.
    source.addEventListener("ready", function () { loadHistory(); });
  }

  function clientId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // Too fast (429): sending waits for Retry-After, counted down under the messages.
  function coolDown(seconds, message) {
    coolingUntil = Date.now() + Math.max(1, seconds) * 1000;
    $("send").disabled = true;
    (function tick() {
      var left = Math.ceil((coolingUntil - Date.now()) / 1000);
      if (left <= 0) { $("send").disabled = false; status(""); return; }
      status(message + "（" + left + "秒后可以再发，您的消息还在输入框里）", true);
      setTimeout(tick, 1000);
    })();
  }

  function send(text, payload) {
    text = (text || "").trim();
    if (!text) return;
    var again = unsent && unsent.text === text ? unsent : null;
    if (again && again.node.parentNode) again.node.remove();
    var id = again ? again.id : clientId();
    payload = payload || (again ? again.payload : null);
    unsent = null;
    var pending = bubble({ author: "member", text: text });
    pending.classList.add("pending");
    sending[id] = pending;
    $("messages").appendChild(pending);
    $("messages").scrollTop = $("messages").scrollHeight;
    renderQuickReplies(null);
    $("send").disabled = true;
    api("POST", "/chat/api/messages", { text: text, payload: payload, client_id: id })
      .then(function (data) {
        // Stored; the replies come by the stream.
        delete sending[id];
        if (shown[data.message_id] && shown[data.message_id] !== pending) {
          pending.remove();  // a resend of one the history showed already
        } else {
          pending.classList.remove("pending");
          pending.dataset.id = data.message_id;
          shown[data.message_id] = pending;
        }
        status("");
      }, function (error) {
        delete sending[id];
        // Refused, not lost: marked 未发送 and put back in the input for sending again.
        pending.classList.remove("pending");
        pending.classList.add("failed");
        pending.appendChild(el("div", "note", "未发送"));
        unsent = { text: text, payload: payload, id: id, node: pending };
        if (!$("text").value) $("text").value = text;
        renderQuickReplies(lastButtons);
        if (error.status === 429) { coolDown(error.retryAfter, error.message); return; }
        status(error.status === 401 ? "会话已失效，请点右上角「重新开始」。"
          : error.status === 400 ? error.message : "发送失败，请检查网络后重试。");
      })
      .then(function () { if (Date.now() >= coolingUntil) $("send").disabled = false; });
  }

  // Who the session is for: {link} (a signed link from a manager), {member} (demo
  // mode only: the gateway refuses it otherwise, with a sentence we show) or a guest.
  function begin(who, wanted) {
    startStatus("");
    return api("POST", "/chat/api/start", who).then(function (data) {
      session = { token: data.token, member: data.member, wanted: wanted };
      localStorage.setItem(STORE, JSON.stringify(session));
      return open();
    }, function (error) {
      restart();
      startStatus(error.message);
    });
  }

  function open() {
    $("start").hidden = true;
    $("composer").hidden = false;
    $("restart").hidden = false;
    return loadHistory().then(connect, function (error) {
      if (error.status === 401) { restart(); } else { status("暂时无法连接，请稍后刷新重试。"); }
    });
  }

  function restart() {
    localStorage.removeItem(STORE);
    if (source) source.close();
    session = null; shown = {}; sending = {}; lastId = 0;
    $("messages").replaceChildren();
    renderQuickReplies(null);
    $("composer").hidden = true;
    $("restart").hidden = true;
    $("start").hidden = false;
  }

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    if (Date.now() < coolingUntil) return;  // the text stays in the input
    var text = $("text").value;
    $("text").value = "";
    send(text);
  });
  $("start-button").addEventListener("click", function () {
    var member = DEMO && $("member") ? $("member").value : "";
    begin(member ? { member: member } : {}, member);
  });
  $("restart").addEventListener("click", restart);

  var query = new URLSearchParams(window.location.search);
  var link = query.get("t");
  var member = query.get("member");
  var wanted = link !== null ? "link:" + link : member;
  if (link !== null && window.history.replaceState) {
    // The link is a credential: not left in the address bar or the history.
    window.history.replaceState(null, "", window.location.pathname);
  }
  try { session = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { session = null; }
  if (session && (wanted === null || wanted === session.wanted)) {
    open();
  } else if (link !== null) {
    begin({ link: link }, wanted);
  } else if (member !== null) {
    begin({ member: member }, member);
  } else {
    restart();
  }
})();
