/* storedesk chat widget loader, embedded on a shop's pages with
 *   <script src="https://desk.example/widget.js" data-inbox="PUBLIC_TOKEN" async></script>
 * It only places a frame served by storedesk in the corner of the page: the chat itself runs
 * inside that frame, isolated from the page's CSS and JS (and the page from it). The frame
 * asks to be resized with postMessage; messages from any other origin are ignored. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__storedeskWidget) return;
  var token = script.getAttribute("data-inbox");
  if (!token || !/^[A-Za-z0-9_-]{8,64}$/.test(token)) return;
  window.__storedeskWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var lang = (document.documentElement.lang || navigator.language || "").slice(0, 16);
  var src = origin + "/chat/" + token + "/?lang=" + encodeURIComponent(lang);

  var host = document.createElement("div");
  host.setAttribute("data-storedesk", "chat");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial}" +
    "iframe{position:fixed;right:16px;bottom:16px;width:76px;height:76px;border:0;" +
    "z-index:2147483000;background:transparent;color-scheme:normal;max-width:100vw}" +
    "iframe.open{width:380px;height:min(620px,calc(100vh - 32px))}" +
    "@media (max-width:480px){iframe.open{right:0;bottom:0;width:100vw;height:100%}}";
  var frame = document.createElement("iframe");
  frame.src = src;
  frame.title = "Chat";
  frame.setAttribute("allow", "clipboard-write");
  root.appendChild(style);
  root.appendChild(frame);

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.storedesk !== "resize") return;
    frame.classList.toggle("open", !!data.open);
  });

  function place() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) place();
  else document.addEventListener("DOMContentLoaded", place);
})();
