/* The agent workspace: live updates over the agent websocket, presence, the composer and
   keyboard navigation. Plain JS on top of htmx; no build step. */
(function () {
  "use strict";
  const body = document.body;
  const gettext = window.gettext || ((s) => s);
  const interpolate = window.interpolate || ((fmt, args) => fmt.replace("%s", args[0]));
  const conversationPage = document.querySelector("[data-page=conversation]");
  const inboxPage = document.querySelector("[data-page=inbox]");
  const conversationId = conversationPage ? Number(conversationPage.dataset.conversationId) : null;
  const myId = Number(body.dataset.agentId);

  /* ---- Live connection ------------------------------------------------------------- */
  let socket = null;
  let retry = 1000;
  const liveStatus = document.getElementById("live-status");

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/agent/`);
    socket.addEventListener("open", () => {
      retry = 1000;
      if (liveStatus) liveStatus.dataset.state = "open";
      sendPresence("viewing");
    });
    socket.addEventListener("close", () => {
      if (liveStatus) liveStatus.dataset.state = "closed";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
    socket.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      handleEvent(event);
    });
  }

  function send(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  function sendPresence(state) {
    if (conversationId) send({ type: "presence", conversation_id: conversationId, state });
  }

  /* ---- Reacting to events ---------------------------------------------------------- */
  let inboxTimer = null;
  function refreshInbox() {
    clearTimeout(inboxTimer);
    inboxTimer = setTimeout(() => {
      htmx.trigger(body, "live-refresh");
      // Keep the agent's selection: only refresh the list when nothing is ticked.
      if (!document.querySelector(".row input[type=checkbox]:checked")) {
        htmx.ajax("GET", location.href, { target: "#inbox-main", swap: "innerHTML" });
      }
    }, 400);
  }

  function handleEvent(event) {
    if (event.event === "presence") return showPresence(event);
    if (event.event === "visitor_typing" || event.event === "visitor_seen") {
      return showVisitorState(event);
    }
    if (event.event === "conversation.created" && event.channel === "webchat") notifyNewChat(event);
    if (inboxPage && event.conversation_id) refreshInbox();
    if (!conversationId || event.conversation_id !== conversationId) return;
    if (event.event === "message.created") {
      loadThreadAfter(Number(document.getElementById("thread").dataset.lastId || 0));
      // The customer asked something new: new suggestions.
      if (event.kind === "inbound") htmx.trigger(body, "assist-refresh");
    } else if (event.event === "message.delivery_changed") {
      loadThreadAfter(event.message_id - 1);
    } else {
      htmx.trigger(body, "live-conversation-changed");
    }
  }

  function loadThreadAfter(afterId) {
    fetch(`/c/${conversationId}/thread?after=${afterId}`, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => mergeThreadItems(html));
  }

  function mergeThreadItems(html) {
    const thread = document.getElementById("thread");
    if (!html || !thread) return;
    const holder = document.createElement("ol");
    holder.innerHTML = html;
    for (const item of Array.from(holder.children)) {
      const existing = item.id ? document.getElementById(item.id) : null;
      if (existing) existing.replaceWith(item);
      else thread.appendChild(item);
      const id = Number(item.dataset.messageId || 0);
      if (id > Number(thread.dataset.lastId || 0)) thread.dataset.lastId = id;
      htmx.process(item);
    }
    item_scroll(thread);
  }

  // One element per message, however it arrived: the composer's response, the live
  // pushes and the fetches they start can race (a browser test saw a reply twice), so any
  // earlier copy of a message is dropped whenever the thread changes.
  function dropRepeatedMessages(thread) {
    const seen = new Set();
    for (const item of Array.from(thread.querySelectorAll(":scope > [data-message-id]")).reverse()) {
      if (seen.has(item.dataset.messageId)) item.remove();
      else seen.add(item.dataset.messageId);
    }
  }
  const threadList = document.getElementById("thread");
  if (threadList && window.MutationObserver) {
    new MutationObserver(() => dropRepeatedMessages(threadList)).observe(threadList, {
      childList: true,
    });
  }

  function item_scroll(thread) {
    const last = thread.lastElementChild;
    if (last) last.scrollIntoView({ block: "nearest" });
  }

  /* ---- Chat: a ring for a new chat, the visitor typing and "seen" ------------------- */
  function notifyNewChat(event) {
    const availability = document.getElementById("availability");
    if (availability && availability.getAttribute("aria-pressed") !== "true") return;
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (error) { /* no sound available */ }
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      const note = new Notification(gettext("New chat"), { tag: `chat-${event.conversation_id}` });
      note.onclick = () => { window.focus(); location.href = `/c/${event.conversation_id}/`; };
    }
    body.dataset.lastChat = String(event.conversation_id);
  }

  let visitorTimer = null;
  function showVisitorState(event) {
    const target = document.getElementById("visitor-state");
    if (!target || event.conversation_id !== conversationId) return;
    clearTimeout(visitorTimer);
    if (event.event === "visitor_typing") {
      target.textContent = event.state ? gettext("The customer is typing…") : "";
      if (event.state) visitorTimer = setTimeout(() => { target.textContent = ""; }, 8000);
    } else {
      target.textContent = gettext("Seen by the customer");
    }
  }

  document.addEventListener("click", (event) => {
    // Turning availability on is a good moment to ask for notifications (a user gesture).
    if (event.target.closest("#availability") && "Notification" in window
        && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });

  // Keeps the agent counted as present for chat availability.
  setInterval(() => send({ type: "ping" }), 30000);

  /* ---- Presence: who else is on this conversation ---------------------------------- */
  const others = new Map();
  function showPresence(event) {
    if (!conversationId || event.conversation_id !== conversationId) return;
    if (event.agent_id === myId) return;
    others.set(event.agent_id, { name: event.agent_name, state: event.state, at: Date.now() });
    renderPresence();
  }

  function renderPresence() {
    const target = document.getElementById("presence");
    if (!target) return;
    const now = Date.now();
    const lines = [];
    for (const [id, entry] of others) {
      if (now - entry.at > 12000) { others.delete(id); continue; }
      lines.push(entry.state === "typing"
        ? interpolate(gettext("%s is typing…"), [entry.name])
        : interpolate(gettext("%s is viewing"), [entry.name]));
    }
    target.textContent = lines.join(" · ");
  }

  if (conversationId) {
    setInterval(() => { sendPresence("viewing"); renderPresence(); }, 5000);
  }

  /* ---- Composer ------------------------------------------------------------------- */
  const composer = document.getElementById("composer");
  function setMode(mode) {
    if (!composer) return;
    composer.dataset.mode = mode;
    composer.querySelector("input[name=kind]").value = mode;
    const textarea = composer.querySelector("textarea");
    if (!textarea.dataset.replyPlaceholder) textarea.dataset.replyPlaceholder = textarea.placeholder;
    textarea.placeholder = mode === "note" ? textarea.dataset.notePlaceholder : textarea.dataset.replyPlaceholder;
    const button = composer.querySelector("button[type=submit]");
    button.textContent = mode === "note" ? button.dataset.noteLabel : button.dataset.replyLabel;
    for (const tab of composer.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.mode === mode));
    }
  }

  /* Put "title: url" of a help-center article into the textarea where the cursor was. */
  function insertArticleLink(textarea, start, end, title, url) {
    const before = textarea.value.slice(0, start);
    const gap = before && !/\s$/.test(before) ? " " : "";
    textarea.setRangeText(`${gap}${title}: ${url}`, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  if (composer) {
    const textarea = composer.querySelector("textarea");
    const error = document.getElementById("composer-error");
    composer.querySelectorAll("[role=tab]").forEach((tab) =>
      tab.addEventListener("click", () => { setMode(tab.dataset.mode); textarea.focus(); }));
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    let lastTyping = 0;
    textarea.addEventListener("input", () => {
      if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); sendPresence("typing"); }
    });
    body.addEventListener("composer-sent", () => {
      textarea.value = "";
      error.hidden = true;
      composer.querySelector("input[name=client_key]").value =
        (crypto.randomUUID ? crypto.randomUUID() : String(Date.now())).replace(/-/g, "");
      const thread = document.getElementById("thread");
      const last = thread.lastElementChild;
      if (last && last.dataset.messageId) thread.dataset.lastId = last.dataset.messageId;
      item_scroll(thread);
    });
    // The sent message is merged by id, not appended: the live "message.created" push may
    // have brought it into the thread first.
    composer.addEventListener("htmx:beforeSwap", (event) => {
      if (event.detail.target.id !== "thread" || event.detail.xhr.status >= 300) return;
      event.detail.shouldSwap = false;
      mergeThreadItems(event.detail.serverResponse);
    });
    composer.addEventListener("htmx:responseError", (event) => {
      error.textContent = event.detail.xhr.responseText || gettext("Could not send. Try again.");
      error.hidden = false;
    });
    const picker = document.getElementById("article-picker");
    const pickerButton = composer.querySelector("[data-action=article-picker]");
    if (picker && pickerButton) {
      const search = picker.querySelector("input[type=search]");
      const results = document.getElementById("article-picker-results");
      let start = 0;
      let end = 0;
      pickerButton.addEventListener("click", () => {
        start = textarea.selectionStart;
        end = textarea.selectionEnd;
        picker.showModal();
        search.focus();
        if (!results.children.length) htmx.trigger(search, "picker-open");
      });
      results.addEventListener("click", (event) => {
        const pick = event.target.closest("button.pick");
        if (!pick) return;
        insertArticleLink(textarea, start, end, pick.dataset.title, pick.dataset.url);
        picker.close();
        textarea.focus();
      });
      // Arrow keys move between the search box and the results; Enter picks.
      picker.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
        const picks = Array.from(results.querySelectorAll("button.pick"));
        if (!picks.length) return;
        event.preventDefault();
        const index = picks.indexOf(document.activeElement);
        const next = event.key === "ArrowDown" ? Math.min(index + 1, picks.length - 1) : index - 1;
        if (next < 0) search.focus();
        else picks[next].focus();
      });
    }
    // Agent assist (the side pane): a draft fills the composer (after what is written),
    // an article goes in as a link at the cursor.
    const assist = document.getElementById("assist");
    if (assist) {
      assist.addEventListener("click", (event) => {
        const draft = event.target.closest("button.use-draft");
        const article = event.target.closest("button.insert-article");
        if (draft) {
          const current = textarea.value.trimEnd();
          textarea.value = current ? `${current}\n\n${draft.dataset.text}` : draft.dataset.text;
          textarea.setSelectionRange(textarea.value.length, textarea.value.length);
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
          textarea.focus();
        } else if (article) {
          insertArticleLink(
            textarea, textarea.selectionStart, textarea.selectionEnd,
            article.dataset.title, article.dataset.url,
          );
          textarea.focus();
        }
      });
    }
    const canned = composer.querySelector("select.canned");
    if (canned) {
      canned.addEventListener("change", () => {
        if (!canned.value) return;
        fetch(`/c/${conversationId}/canned/${canned.value}`, { credentials: "same-origin" })
          .then((response) => response.json())
          .then((data) => {
            if (data.text !== undefined) {
              const start = textarea.selectionStart;
              textarea.setRangeText(data.text, start, textarea.selectionEnd, "end");
              textarea.focus();
            }
            canned.value = "";
          });
      });
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".show-images");
    if (button) {
      const frame = button.previousElementSibling;
      if (frame && frame.tagName === "IFRAME") frame.src = button.dataset.src;
      button.remove();
    }
    if (event.target.closest("[data-action=help]")) document.getElementById("help").showModal();
  });

  /* ---- Inbox: selection and bulk bar ------------------------------------------------ */
  document.addEventListener("change", (event) => {
    if (event.target.matches(".row input[type=checkbox]")) {
      const bulk = document.getElementById("bulk");
      if (bulk) bulk.classList.toggle("active",
        !!document.querySelector(".row input[type=checkbox]:checked"));
    }
  });

  function updateConversation(id, change) {
    const token = document.querySelector("meta[name=csrf-token]").content;
    return fetch(`/c/${id}/update`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(change),
    });
  }

  /* ---- Keyboard ------------------------------------------------------------------- */
  function rows() { return Array.from(document.querySelectorAll(".rows .row")); }
  function moveSelection(step) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex((row) => row.classList.contains("selected"));
    if (index >= 0) all[index].classList.remove("selected");
    index = Math.max(0, Math.min(all.length - 1, index + step));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.target.closest("dialog[open]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    if (key === "/") {
      event.preventDefault();
      document.getElementById("global-search").focus();
    } else if (key === "?") {
      document.getElementById("help").showModal();
    } else if (inboxPage && (key === "j" || key === "k")) {
      moveSelection(key === "j" ? 1 : -1);
    } else if (inboxPage && key === "Enter") {
      const selected = document.querySelector(".rows .row.selected");
      if (selected) location.href = selected.dataset.href;
    } else if (inboxPage && (key === "e" || key === "a")) {
      // On the selected row: e resolves it, a assigns it to me.
      const selected = document.querySelector(".rows .row.selected");
      if (selected) {
        const change = key === "e" ? { field: "status", value: "resolved" }
                                   : { field: "assignee", value: String(myId) };
        updateConversation(selected.dataset.id, change).then(refreshInbox);
      }
    } else if (conversationPage && key === "e") {
      const resolve = document.getElementById("resolve");
      if (resolve) resolve.click();
    } else if (conversationPage && key === "a") {
      event.preventDefault();
      document.getElementById("assignee").focus();
    } else if (conversationPage && (key === "r" || key === "n")) {
      event.preventDefault();
      setMode(key === "r" ? "reply" : "note");
      composer.querySelector("textarea").focus();
    }
  });

  /* ---- Phones: the secondary navigation starts folded ------------------------------- */
  function foldNavigation() {
    if (window.matchMedia("(max-width: 48rem)").matches) {
      document.querySelectorAll(".nav-extra[open]").forEach((details) => details.removeAttribute("open"));
    }
  }
  foldNavigation();
  body.addEventListener("htmx:afterSwap", foldNavigation);

  connect();
})();
