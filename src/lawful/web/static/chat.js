/* lawful web chat: <script src="https://lawful.example/chat.js" data-title="Chat" defer></script>
 *
 * A small chat box for the operator's site. It asks lawful for a visitor id and its signed
 * token once (kept in localStorage), then posts each message with both. It runs under a strict
 * Content-Security-Policy: no inline code, no eval, no inline <style>; text is only ever set
 * with textContent, never parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var lang = (document.documentElement.lang || "en").slice(0, 2) === "ru" ? "ru" : "en";
  var TEXT = {
    en: { title: "Chat", placeholder: "Your message", send: "Send", sent: "Received, thank you.",
          failed: "Not sent. Please try again." },
    ru: { title: "Чат", placeholder: "Ваше сообщение", send: "Отправить",
          sent: "Получено, спасибо.", failed: "Не отправлено. Попробуйте ещё раз." }
  }[lang];
  var KEY = "lawful-chat-session";

  function randomId() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function post(path, body) {
    return fetch(base + "/api/v1/chat/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function session() {
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { kept = null; }
    if (kept && kept.visitor_id && kept.token) { return Promise.resolve(kept); }
    return post("sessions", {}).then(function (fresh) {
      localStorage.setItem(KEY, JSON.stringify(fresh));
      return fresh;
    });
  }

  var box = document.createElement("form");
  box.className = "lawful-chat";
  box.setAttribute("aria-label", script.getAttribute("data-title") || TEXT.title);
  var log = document.createElement("ol");
  log.className = "lawful-chat-log";
  log.setAttribute("aria-live", "polite");
  var input = document.createElement("textarea");
  input.maxLength = 4000;
  input.required = true;
  input.placeholder = TEXT.placeholder;
  var button = document.createElement("button");
  button.type = "submit";
  button.textContent = TEXT.send;
  box.appendChild(log);
  box.appendChild(input);
  box.appendChild(button);

  function say(text, who) {
    var item = document.createElement("li");
    item.className = "lawful-chat-" + who;
    item.textContent = text;
    log.appendChild(item);
  }

  box.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    var messageId = randomId();
    button.disabled = true;
    session().then(function (s) {
      return post("messages", {
        visitor_id: s.visitor_id, token: s.token, message_id: messageId, text: text
      });
    }).then(function () {
      say(text, "visitor");
      say(TEXT.sent, "lawful");
      input.value = "";
    }).catch(function () {
      say(TEXT.failed, "lawful");
    }).then(function () {
      button.disabled = false;
    });
  });

  (script.parentNode || document.body).insertBefore(box, script.nextSibling);
})();
