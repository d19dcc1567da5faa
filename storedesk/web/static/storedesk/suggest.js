/* Help-center suggestions while a customer types a question (chat widget, contact form).
 *
 * StoredeskSuggest.attach(textarea, box, options) shows up to three articles in `box`
 * under a heading, fetched from options.url (?q=&locale=&source=) 400 ms after typing stops,
 * and records a click on one (options.url + "/<search_id>/click"). Everything shown is
 * set as text, never as HTML. A page can attach it declaratively with
 * data-suggest-url / data-suggest-locale / data-suggest-source / data-suggest-box on a
 * textarea.
 */
(function () {
  "use strict";
  var MIN_CHARS = 3, DELAY_MS = 400;

  function attach(textarea, box, options) {
    var timer = null, lastQuery = "", controller = null;
    var list = box.querySelector("ul");

    function clear() {
      box.hidden = true;
      while (list.firstChild) list.removeChild(list.firstChild);
    }

    function recordClick(searchId, articleId) {
      if (!searchId) return;
      var body = new URLSearchParams({ article_id: String(articleId) });
      var url = options.url + "/" + searchId + "/click";
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
      fetch(url, { method: "POST", body: body, keepalive: true }).catch(function () {});
    }

    function show(data) {
      clear();
      if (!data.articles || !data.articles.length) return;
      data.articles.forEach(function (article) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = article.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.textContent = article.title;
        link.addEventListener("click", function () { recordClick(data.search_id, article.id); });
        item.appendChild(link);
        if (article.snippet) {
          var snippet = document.createElement("span");
          snippet.className = "suggest-snippet";
          snippet.textContent = article.snippet;
          item.appendChild(snippet);
        }
        list.appendChild(item);
      });
      box.hidden = false;
    }

    function lookUp() {
      if (options.enabled && !options.enabled()) { clear(); return; }
      var query = textarea.value.trim();
      if (query.length < MIN_CHARS) { lastQuery = ""; clear(); return; }
      if (query === lastQuery) return;
      lastQuery = query;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var params = new URLSearchParams({ q: query, locale: options.locale || "", source: options.source });
      fetch(options.url + "?" + params.toString(), {
        credentials: "omit",
        signal: controller ? controller.signal : undefined,
      }).then(function (response) {
        return response.ok ? response.json() : { articles: [] };
      }).then(show).catch(function () {});
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, DELAY_MS);
    });
    return { clear: clear };
  }

  window.StoredeskSuggest = { attach: attach };

  document.querySelectorAll("textarea[data-suggest-url]").forEach(function (textarea) {
    var box = document.getElementById(textarea.getAttribute("data-suggest-box"));
    if (!box) return;
    attach(textarea, box, {
      url: textarea.getAttribute("data-suggest-url"),
      locale: textarea.getAttribute("data-suggest-locale"),
      source: textarea.getAttribute("data-suggest-source") || "form",
    });
  });
})();
