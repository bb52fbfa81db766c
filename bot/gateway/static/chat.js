// The member's web chat: a conversation token kept in localStorage, history reloaded
// from the server, replies (the bot's, a manager's) pushed over Server-Sent Events.
// Everything anyone wrote is put into the page with textContent, never as HTML.
(function () {
  "use strict";
  var STORE = "hm_chat";
  var session = null;  // {token, member}
  var source = null;
  var shown = {};      // message id -> node
  var lastButtons = null;
  var AUTHORS = { bot: "智能助手", system: "系统消息", manager: "健康管家" };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function status(text) {
    $("status").textContent = text || "";
    $("status").hidden = !text;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (session) headers["Authorization"] = "Bearer " + session.token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers,
                         body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { var error = new Error(data.error || "请求失败"); error.status = response.status; throw error; }
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
    if (m.id && shown[m.id]) return;
    var node = bubble(m);
    if (m.id) shown[m.id] = node;
    $("messages").appendChild(node);
    $("messages").scrollTop = $("messages").scrollHeight;
    if (m.author !== "member") { lastButtons = m; renderQuickReplies(m); }
  }

  function loadHistory() {
    return api("GET", "/chat/api/history").then(function (data) {
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

  function send(text, payload) {
    text = (text || "").trim();
    if (!text) return;
    var pending = bubble({ author: "member", text: text });
    pending.classList.add("pending");
    $("messages").appendChild(pending);
    $("messages").scrollTop = $("messages").scrollHeight;
    renderQuickReplies(null);
    $("send").disabled = true;
    api("POST", "/chat/api/messages", { text: text, payload: payload || null, client_id: clientId() })
      .then(function (data) {
        pending.classList.remove("pending");
        pending.dataset.id = data.message_id;
        shown[data.message_id] = pending;
        data.replies.forEach(show);
        status("");
      }, function (error) {
        pending.classList.add("failed");
        status(error.status === 401 ? "会话已失效，请点右上角「重新开始」。" : "发送失败，请检查网络后重试。");
      })
      .then(function () { $("send").disabled = false; });
  }

  function begin(member) {
    return api("POST", "/chat/api/start", { member: member || null }).then(function (data) {
      session = { token: data.token, member: data.member, wanted: member || "" };
      localStorage.setItem(STORE, JSON.stringify(session));
      return open();
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
    session = null; shown = {};
    $("messages").replaceChildren();
    renderQuickReplies(null);
    $("composer").hidden = true;
    $("restart").hidden = true;
    $("start").hidden = false;
  }

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("text").value;
    $("text").value = "";
    send(text);
  });
  $("start-button").addEventListener("click", function () { begin($("member").value); });
  $("restart").addEventListener("click", restart);

  var wanted = new URLSearchParams(window.location.search).get("member");
  try { session = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { session = null; }
  if (session && (wanted === null || wanted === session.wanted)) {
    open();
  } else if (wanted !== null) {
    begin(wanted);
  } else {
    restart();
  }
})();
