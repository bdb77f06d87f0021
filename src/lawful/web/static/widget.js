/*
 * lawful consent widget — turns an operator's own HTML form into a lawful one.
 *
 *   <form data-lawful-form="order-form" data-lawful-purposes="order_details,newsletters"
 *         data-lawful-lang="ru">
 *     <input data-lawful-category="user.contact.email" type="email"> ...
 *     <button type="submit">Send</button>
 *   </form>
 *   <script src="https://lawful.example/widget.js" defer
 *           data-lawful-api="https://lawful.example"></script>
 *
 * Optional form attributes: data-lawful-required="key,..." (consents this form cannot be sent
 * without, for a form that exists for them, e.g. a newsletter sign-up) and
 * data-lawful-user-agreement (ask to accept the published user agreement).
 *
 * No framework, no build step, no inline style: it works under a strict Content-Security-Policy
 * (the operator's page needs script-src and connect-src for lawful's origin). Elements carry
 * lawful-* classes for the operator's stylesheet. Values are never written to the console.
 * After a successful submission the form fires "lawful:submitted" with the submission id.
 */
(function () {
  'use strict';

  var script = document.currentScript || document.querySelector('script[data-lawful-api]');
  var API = apiBase(script);
  var configs = {}; // language asked -> Promise of the configuration
  var counter = 0;

  function apiBase(element) {
    var given = element && element.getAttribute('data-lawful-api');
    var base = given || (element && element.src ? new URL(element.src).origin : location.origin);
    return base.replace(/\/+$/, '');
  }

  function list(value) {
    return (value || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function absolute(path) {
    return new URL(path, API + '/').href;
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return [h.slice(0, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10), h.slice(10)]
      .map(function (part) { return part.join(''); }).join('-');
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function loadConfig(language) {
    if (!configs[language]) {
      var url = API + '/api/v1/widget/config' +
        (language ? '?language=' + encodeURIComponent(language) : '');
      configs[language] = fetch(url, { credentials: 'omit', mode: 'cors' }).then(function (r) {
        if (!r.ok) throw new Error('lawful configuration: HTTP ' + r.status);
        return r.json();
      });
    }
    return configs[language];
  }

  function LawfulForm(form) {
    this.form = form;
    this.formId = form.getAttribute('data-lawful-form');
    this.prefix = 'lawful-' + (++counter);
    this.purposes = list(form.getAttribute('data-lawful-purposes'));
    this.alsoRequired = list(form.getAttribute('data-lawful-required'));
    this.config = null;
    this.boxes = {}; // purpose key -> checkbox
    this.agreement = null;
    this.attempt = null; // {key, body} of the last attempt that did not succeed
    this.busy = false;
    this.marked = [];
    this.message = el('p', 'lawful-message');
    this.message.setAttribute('role', 'alert');
    this.message.id = this.prefix + '-message';
    this.status = el('p', 'lawful-status');
    this.status.setAttribute('role', 'status');
    this.status.hidden = true;
    // The widget owns submission from the start: the form never posts anywhere else.
    form.addEventListener('submit', this.onSubmit.bind(this));
  }

  LawfulForm.prototype.language = function () {
    return this.form.getAttribute('data-lawful-lang') || document.documentElement.lang || '';
  };

  LawfulForm.prototype.start = function () {
    var self = this;
    return loadConfig(this.language()).then(function (config) {
      self.config = config;
      self.render();
    }, function () {
      self.place(el('div', 'lawful-consents'));
      self.say(null, 'The form is not available right now.');
    });
  };

  LawfulForm.prototype.submitButton = function () {
    return this.form.querySelector('button[type=submit], input[type=submit], button:not([type])');
  };

  LawfulForm.prototype.place = function (box) {
    box.appendChild(this.message);
    box.appendChild(this.status);
    var button = this.submitButton();
    if (button && button.parentNode) button.parentNode.insertBefore(box, button);
    else this.form.appendChild(box);
  };

  LawfulForm.prototype.texts = function () {
    return (this.config && this.config.texts) || {};
  };

  LawfulForm.prototype.render = function () {
    var self = this;
    var texts = this.texts();
    var byKey = {};
    this.config.purposes.forEach(function (p) { byKey[p.key] = p; });
    var box = el('fieldset', 'lawful-consents');
    box.appendChild(el('legend', 'lawful-legend', texts.legend));
    var informational = [];
    this.purposes.forEach(function (key) {
      var purpose = byKey[key];
      if (!purpose) return; // lawful answers the submission naming the unknown purpose
      if (!purpose.consent) { informational.push(purpose); return; }
      box.appendChild(self.consentBox(purpose));
    });
    if (this.form.hasAttribute('data-lawful-user-agreement') && this.config.user_agreement) {
      box.appendChild(this.agreementBox(this.config.user_agreement));
    }
    if (informational.length) {
      var info = el('div', 'lawful-info');
      info.appendChild(el('p', 'lawful-info-intro', texts.info));
      var names = el('ul', 'lawful-info-purposes');
      informational.forEach(function (p) { names.appendChild(el('li', 'lawful-info-purpose', p.name)); });
      info.appendChild(names);
      box.appendChild(info);
    }
    var policy = el('p', 'lawful-policy', texts.policy + ' ');
    policy.appendChild(this.link(this.config.privacy_policy.url, texts.policy_link, 'lawful-policy-link'));
    box.appendChild(policy);
    this.place(box);
  };

  LawfulForm.prototype.link = function (path, text, className) {
    var a = el('a', className, text);
    a.href = absolute(path);
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
  };

  LawfulForm.prototype.checkbox = function (id, labelText, required) {
    var row = el('div', 'lawful-consent');
    var input = document.createElement('input');
    input.type = 'checkbox';
    input.id = id;
    input.className = 'lawful-checkbox';
    input.checked = false; // never pre-ticked
    input.setAttribute('aria-describedby', this.message.id);
    var label = el('label', 'lawful-label', labelText);
    label.htmlFor = id;
    if (required) {
      input.setAttribute('aria-required', 'true');
      row.classList.add('lawful-consent-required');
      var mark = el('span', 'lawful-required', ' (' + this.texts().required + ')');
      label.appendChild(mark);
    }
    row.appendChild(input);
    row.appendChild(document.createTextNode(' '));
    row.appendChild(label);
    return { row: row, input: input };
  };

  LawfulForm.prototype.consentBox = function (purpose) {
    var required = purpose.consent.required || this.alsoRequired.indexOf(purpose.key) >= 0;
    var made = this.checkbox(this.prefix + '-' + purpose.key, purpose.name, required);
    made.input.setAttribute('data-lawful-consent', purpose.key);
    made.row.appendChild(document.createTextNode(' '));
    made.row.appendChild(this.link(purpose.consent.document.url, this.texts().consent_text,
      'lawful-consent-link'));
    this.boxes[purpose.key] = { input: made.input, purpose: purpose, required: required };
    return made.row;
  };

  LawfulForm.prototype.agreementBox = function (document_) {
    var made = this.checkbox(this.prefix + '-user-agreement', this.texts().agreement, true);
    made.row.appendChild(document.createTextNode(' '));
    made.row.appendChild(this.link(document_.url, this.texts().consent_text, 'lawful-consent-link'));
    this.agreement = { input: made.input, document: document_ };
    return made.row;
  };

  // --- messages ------------------------------------------------------------------------------

  LawfulForm.prototype.say = function (key, fallback) {
    this.status.hidden = true;
    this.message.textContent = (key && this.texts()[key]) || fallback || '';
  };

  LawfulForm.prototype.clearMarks = function () {
    this.marked.forEach(function (mark) {
      mark.input.removeAttribute('aria-invalid');
      if (mark.note && mark.note.parentNode) mark.note.parentNode.removeChild(mark.note);
      if (mark.describedBy === null) mark.input.removeAttribute('aria-describedby');
      else mark.input.setAttribute('aria-describedby', mark.describedBy);
    });
    this.marked = [];
    this.message.textContent = '';
  };

  LawfulForm.prototype.mark = function (input, text) {
    var mark = { input: input, note: null, describedBy: input.getAttribute('aria-describedby') };
    input.setAttribute('aria-invalid', 'true');
    if (text) {
      var note = el('span', 'lawful-field-error', text);
      note.id = this.prefix + '-error-' + this.marked.length;
      input.insertAdjacentElement('afterend', note);
      input.setAttribute('aria-describedby', ((mark.describedBy || '') + ' ' + note.id).trim());
      mark.note = note;
    }
    this.marked.push(mark);
  };

  // --- submission ----------------------------------------------------------------------------

  LawfulForm.prototype.body = function () {
    var fields = {};
    this.form.querySelectorAll('[data-lawful-category]').forEach(function (input) {
      if ((input.type === 'checkbox' || input.type === 'radio') && !input.checked) return;
      var value = (input.value || '').trim();
      if (value) fields[input.getAttribute('data-lawful-category')] = value;
    });
    var consents = {};
    var boxes = this.boxes;
    Object.keys(boxes).forEach(function (key) {
      var document_ = boxes[key].purpose.consent.document;
      consents[key] = {
        given: boxes[key].input.checked,
        document_version: document_.version,
        content_hash: document_.content_hash
      };
    });
    var body = {
      form_id: this.formId,
      channel: 'web_form',
      language: this.config.language,
      page_url: location.href,
      fields: fields,
      purposes: this.purposes,
      consents: consents
    };
    if (this.agreement && this.agreement.input.checked) {
      body.user_agreement = {
        document_version: this.agreement.document.version,
        content_hash: this.agreement.document.content_hash
      };
    }
    return JSON.stringify(body);
  };

  LawfulForm.prototype.missingConsents = function () {
    var boxes = this.boxes;
    var missing = Object.keys(boxes).filter(function (key) {
      return boxes[key].required && !boxes[key].input.checked;
    }).map(function (key) { return boxes[key]; });
    if (this.agreement && !this.agreement.input.checked) {
      missing.push({ input: this.agreement.input, purpose: { name: this.texts().agreement } });
    }
    return missing;
  };

  LawfulForm.prototype.onSubmit = function (event) {
    event.preventDefault();
    if (this.busy) return;
    if (!this.config) { this.say('unavailable', 'The form is not available right now.'); return; }
    this.clearMarks();
    var missing = this.missingConsents();
    if (missing.length) {
      var self = this;
      missing.forEach(function (box) { self.mark(box.input, null); });
      this.message.textContent = this.texts().missing + ' ' +
        missing.map(function (box) { return box.purpose.name; }).join('; ');
      missing[0].input.focus();
      return;
    }
    var body = this.body();
    // One key per attempt; a retry of the same body (automatic or by the person) reuses it,
    // so lawful records the submission once however many times it reaches the server.
    if (!this.attempt || this.attempt.body !== body) this.attempt = { key: uuid(), body: body };
    this.send(this.attempt);
  };

  LawfulForm.prototype.post = function (attempt) {
    return fetch(API + '/api/v1/submissions', {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json, application/problem+json',
        'Idempotency-Key': attempt.key
      },
      body: attempt.body
    });
  };

  LawfulForm.prototype.postWithRetries = function (attempt) {
    var self = this;
    var delays = [400, 1200];
    function tryOnce(i) {
      return self.post(attempt).then(function (response) {
        if (response.status >= 500 && i < delays.length) {
          return sleep(delays[i]).then(function () { return tryOnce(i + 1); });
        }
        return response;
      }, function (error) {
        if (i < delays.length) return sleep(delays[i]).then(function () { return tryOnce(i + 1); });
        throw error;
      });
    }
    return tryOnce(0);
  };

  LawfulForm.prototype.send = function (attempt) {
    var self = this;
    var button = this.submitButton();
    this.busy = true;
    this.form.setAttribute('aria-busy', 'true');
    if (button) button.disabled = true;
    this.status.hidden = false;
    this.status.textContent = this.texts().sending || '';
    return this.postWithRetries(attempt).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) self.succeeded(answer);
        else self.refused(response.status, answer);
      });
    }, function () {
      self.say('failed');
    }).then(function () {
      self.busy = false;
      self.form.removeAttribute('aria-busy');
      if (button) button.disabled = false;
    });
  };

  LawfulForm.prototype.succeeded = function (receipt) {
    this.attempt = null;
    this.form.reset();
    this.message.textContent = '';
    this.status.hidden = false;
    this.status.textContent = this.texts().sent;
    this.form.classList.add('lawful-sent');
    this.form.dispatchEvent(new CustomEvent('lawful:submitted', {
      bubbles: true, detail: { submission_id: receipt.submission_id }
    }));
  };

  LawfulForm.prototype.refused = function (status, problem) {
    var self = this;
    var unplaced = [];
    (problem.errors || []).forEach(function (error) {
      // The server's message is English; its code picks the text in the page's language.
      var text = (error.code && self.texts()['error.' + error.code]) || error.message;
      var input = self.inputFor(String(error.field || ''));
      if (input) self.mark(input, text);
      else unplaced.push(text);
    });
    var general = status >= 500 ? this.texts().failed :
      (this.marked.length && !unplaced.length ? this.texts().invalid : problem.detail);
    this.say(null, general || this.texts().failed);
    if (this.marked.length) this.marked[0].input.focus();
  };

  // "fields.user.contact.email", "body.fields.x", "consents.newsletters.document_version"
  LawfulForm.prototype.inputFor = function (field) {
    var name = field.replace(/^body\./, '');
    if (name.indexOf('fields.') === 0) {
      var category = name.slice('fields.'.length);
      var inputs = this.form.querySelectorAll('[data-lawful-category]');
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].getAttribute('data-lawful-category') === category) return inputs[i];
      }
      return null;
    }
    if (name.indexOf('consents.') === 0) {
      var box = this.boxes[name.slice('consents.'.length).split('.')[0]];
      return box ? box.input : null;
    }
    if (name.indexOf('user_agreement') === 0 && this.agreement) return this.agreement.input;
    return null;
  };

  function init() {
    document.querySelectorAll('form[data-lawful-form]').forEach(function (form) {
      if (form.lawfulWidget) return;
      form.lawfulWidget = new LawfulForm(form);
      form.lawfulWidget.start();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
