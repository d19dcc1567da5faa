/* The chat window inside the widget frame (/chat/<token>/). Speaks the visitor protocol of
 * /ws/chat/<token>/ (see docs/live-chat.md). Customer text is only ever inserted as text
 * nodes; web addresses become links built element by element, never through innerHTML. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var t = config.strings;
  var storageKey = "storedesk:" + config.inbox;
  var $ = function (id) { return document.getElementById(id); };
  var launcher = $("launcher"), unreadBadge = $("unread"), panel = $("panel");
  var list = $("messages"), typingLine = $("typing"), statusLine = $("status");
  var composer = $("composer"), input = $("composer-text"), fileInput = $("composer-file");
  var prechat = $("prechat"), offline = $("offline"), offlineDone = $("offline-done");
  var errorLine = $("chat-error");

  var state = {
    token: readToken(), socket: null, lastId: 0, open: false, unread: 0, online: true,
    session: false, retry: 0, typingSent: false, typingTimer: null, seenSent: 0,
    pending: {}, agentTyping: null, connected: false,
  };

  function readToken() {
    try { return localStorage.getItem(storageKey); } catch (e) { return null; }
  }
  function saveToken(token) {
    state.token = token;
    try { localStorage.setItem(storageKey, token); } catch (e) { /* private mode */ }
  }

  // --- Rendering ------------------------------------------------------------------------

  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/gi;

  function appendLinked(parent, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (url, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      parent.appendChild(link);
      last = offset + url.length;
      return url;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function timeLabel(iso) {
    try {
      return new Date(iso).toLocaleTimeString(document.documentElement.lang, {
        hour: "2-digit", minute: "2-digit",
      });
    } catch (e) { return ""; }
  }

  function renderItem(item) {
    var li = document.createElement("li");
    li.className = "msg " + (item.kind === "inbound" ? "mine" : "theirs");
    li.dataset.id = item.id || "";
    var senderName = item.sender === "assistant" ? t.assistant : item.sender_name;
    if (item.kind !== "inbound" && senderName) {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = senderName;
      li.appendChild(who);
    }
    var body = document.createElement("p");
    body.className = "body";
    appendLinked(body, item.text || "");
    li.appendChild(body);
    (item.attachments || []).forEach(function (file) {
      var link = document.createElement("a");
      link.className = "file";
      link.href = file.url;
      link.textContent = file.name;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      li.appendChild(link);
    });
    if (item.answer) renderAnswer(li, item);
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = item.pending ? t.sending : timeLabel(item.created_at);
    li.appendChild(meta);
    return li;
  }

  // The assistant's answer from the help center: the article (when the text holds only its
  // path) and "Did this answer your question?" with yes/no, until the visitor chooses.
  function renderAnswer(li, item) {
    var answer = item.answer;
    if (answer.url && answer.url.charAt(0) === "/") {
      var article = document.createElement("a");
      article.className = "article-link";
      article.href = answer.url;
      article.textContent = t.open_article + ": " + answer.title;
      article.target = "_blank";
      article.rel = "noopener noreferrer";
      li.appendChild(article);
    }
    var box = document.createElement("div");
    box.className = "feedback";
    if (answer.helpful === null || answer.helpful === undefined) {
      [["yes", true], ["no", false]].forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "feedback-" + choice[0];
        button.textContent = t[choice[0]];
        button.addEventListener("click", function () {
          if (send({ type: "feedback", message_id: item.id, helpful: choice[1] })) {
            box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          }
        });
        box.appendChild(button);
      });
    } else {
      box.textContent = t.thanks_feedback;
    }
    li.appendChild(box);
  }

  function answerSaved(messageId) {
    var li = list.querySelector('[data-id="' + messageId + '"]');
    var box = li && li.querySelector(".feedback");
    if (box) box.textContent = t.thanks_feedback;
  }

  // Only the newest message may still be answered yes/no.
  function retireOldFeedback() {
    var boxes = list.querySelectorAll(".feedback");
    for (var i = 0; i < boxes.length; i++) {
      var li = boxes[i].closest("li");
      if (li !== list.lastElementChild && boxes[i].querySelector("button")) boxes[i].remove();
    }
  }

  function addItem(item, clientKey) {
    if (clientKey && state.pending[clientKey]) {
      var placeholder = state.pending[clientKey];
      delete state.pending[clientKey];
      placeholder.replaceWith(renderItem(item));
    } else if (item.id && list.querySelector('[data-id="' + item.id + '"]')) {
      return; // already shown (a resend after reconnecting)
    } else {
      list.appendChild(renderItem(item));
      if (item.kind !== "inbound" && !state.open) setUnread(state.unread + 1);
    }
    if (item.id) state.lastId = Math.max(state.lastId, item.id);
    retireOldFeedback();
    list.scrollTop = list.scrollHeight;
    markSeen();
  }

  function setUnread(count) {
    state.unread = count;
    unreadBadge.textContent = count > 9 ? "9+" : String(count);
    unreadBadge.hidden = count === 0;
    launcher.setAttribute("aria-label", count ? t.open_unread.replace("%s", count) : t.open);
  }

  function showError(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function showView() {
    var needsPrechat = !state.session && config.prechat.fields.length > 0;
    var offlineMode = !state.session && !state.online;
    offline.hidden = !offlineMode || !offlineDone.hidden;
    prechat.hidden = offlineMode || !needsPrechat;
    composer.hidden = offlineMode || needsPrechat;
    statusLine.textContent = state.online ? t.online : t.away;
    panel.classList.toggle("away", !state.online);
  }

  // --- Opening and closing --------------------------------------------------------------

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("is-open", open);
    parent.postMessage({ storedesk: "resize", open: open }, "*");
    if (open) {
      setUnread(0);
      showView();
      list.scrollTop = list.scrollHeight;
      var focus = [input, prechat.querySelector("input"), offline.querySelector("input")];
      focus.forEach(function (el) { if (el && !el.closest("[hidden]")) el.focus(); });
      markSeen();
    }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  $("close").addEventListener("click", function () { setOpen(false); launcher.focus(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.open) { setOpen(false); launcher.focus(); }
  });

  // --- The connection -------------------------------------------------------------------

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    var socket = new WebSocket(config.ws_url);
    state.socket = socket;
    socket.onopen = function () {
      state.retry = 0;
      state.connected = true;
      send({ type: "hello", token: state.token, after_id: state.lastId, locale: config.locale });
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      handle(data);
    };
    socket.onclose = function (event) {
      state.connected = false;
      if (event.code === 4404) { showError(t.unavailable); return; }
      var delay = Math.min(30000, 1000 * Math.pow(2, state.retry++)) * (0.5 + Math.random());
      setTimeout(connect, delay);
    };
  }

  function handle(data) {
    switch (data.event) {
      case "welcome":
        state.online = data.online;
        state.session = data.session;
        if (!data.session && state.token) { state.token = null; }
        if (!list.children.length && data.greeting) {
          var hello = renderItem({ kind: "greeting", text: data.greeting, created_at: null });
          hello.classList.add("greeting");
          hello.querySelector(".meta").remove();
          list.appendChild(hello);
        }
        $("away-text").textContent = data.away_message || "";
        showView();
        break;
      case "session":
        saveToken(data.token);
        state.session = true;
        showView();
        break;
      case "messages":
        data.items.forEach(function (item) { addItem(item); });
        break;
      case "message":
        addItem(data.item, data.client_key);
        if (data.item.kind !== "inbound") showTyping(null);
        break;
      case "typing":
        showTyping(data.state ? data.name : null);
        break;
      case "feedback_saved":
        answerSaved(data.message_id);
        break;
      case "availability":
        state.online = data.online;
        showView();
        break;
      case "error":
        showError(data.message);
        if (data.client_key && state.pending[data.client_key]) {
          state.pending[data.client_key].classList.add("failed");
          delete state.pending[data.client_key];
        }
        break;
    }
  }

  function showTyping(name) {
    clearTimeout(state.agentTyping);
    typingLine.textContent = name ? t.typing.replace("%s", name) : "";
    if (name) state.agentTyping = setTimeout(function () { showTyping(null); }, 8000);
  }

  function markSeen() {
    if (!state.open || !state.lastId || state.seenSent >= state.lastId) return;
    if (send({ type: "seen", message_id: state.lastId })) state.seenSent = state.lastId;
  }

  setInterval(function () { send({ type: "ping" }); }, 25000);

  // --- Writing ----------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (text.length > config.max_length) { showError(t.too_long); return; }
    var key = newKey();
    if (!send({ type: "message", text: text, client_key: key })) {
      showError(t.offline_retry);
      return;
    }
    showError("");
    var placeholder = renderItem({ kind: "inbound", text: text, pending: true });
    state.pending[key] = placeholder;
    list.appendChild(placeholder);
    list.scrollTop = list.scrollHeight;
    input.value = "";
    stopTyping();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  input.addEventListener("input", function () {
    if (!state.typingSent && input.value) {
      state.typingSent = send({ type: "typing", state: true });
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, 3000);
  });

  function stopTyping() {
    clearTimeout(state.typingTimer);
    if (state.typingSent) send({ type: "typing", state: false });
    state.typingSent = false;
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (file.size > config.max_upload_bytes) { showError(t.file_too_big); return; }
    if (!state.token) { showError(t.write_first); return; }
    var key = newKey();
    var body = new FormData();
    body.append("file", file);
    body.append("client_key", key);
    var placeholder = renderItem({ kind: "inbound", text: file.name, pending: true });
    state.pending[key] = placeholder;
    list.appendChild(placeholder);
    fetch(config.upload_url, {
      method: "POST", body: body, headers: { "X-Visitor-Token": state.token },
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error ? json.error.message : t.upload_failed);
        addItem(json.item, key);
      });
    }).catch(function (error) {
      placeholder.classList.add("failed");
      delete state.pending[key];
      showError(error.message || t.upload_failed);
    });
  });

  // --- Help-center suggestions while the first question is typed ---------------------------

  if (config.suggest_url && window.StoredeskSuggest) {
    var composerSuggestions = StoredeskSuggest.attach(input, $("composer-suggestions"), {
      url: config.suggest_url,
      locale: config.locale,
      source: "widget",
      // Only before the conversation has messages: later the visitor is talking to us.
      enabled: function () { return !list.querySelector("li:not(.greeting)"); },
    });
    composer.addEventListener("submit", function () { composerSuggestions.clear(); });
    StoredeskSuggest.attach(offline.querySelector("textarea"), $("offline-suggestions"), {
      url: config.suggest_url,
      locale: config.locale,
      source: "widget",
    });
  }

  // --- Pre-chat and offline forms ---------------------------------------------------------

  prechat.addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = {};
    new FormData(prechat).forEach(function (value, name) { fields[name] = String(value).trim(); });
    if (send({ type: "prechat", fields: fields })) showError("");
    else showError(t.offline_retry);
  });

  offline.addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = {};
    new FormData(offline).forEach(function (value, name) { fields[name] = String(value).trim(); });
    fields.locale = config.locale;
    fetch(config.offline_url, {
      method: "POST", body: JSON.stringify(fields),
      headers: { "Content-Type": "application/json" },
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error ? json.error.message : t.failed);
        offline.hidden = true;
        offlineDone.hidden = false;
        showError("");
      });
    }).catch(function (error) { showError(error.message || t.failed); });
  });

  setUnread(0);
  connect();
})();
