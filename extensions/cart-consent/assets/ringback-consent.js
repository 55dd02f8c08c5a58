/*
 * Ringback cart-page consent block (theme app extension asset, no build step).
 *
 * Writes the buyer's choice as cart attributes through the Cart AJAX API
 * (POST {routes root}cart/update.js), which reach Ringback as the checkout's
 * note_attributes:
 *   ringback_consent       "yes" on tick, "no" on untick
 *   ringback_consent_text  the exact wording shown next to the box
 *   ringback_consent_at    ISO-8601 UTC time of the tick or untick
 *   ringback_phone         optional phone typed by the buyer
 *   ringback_consent_source  "cart": which surface asked (the checkout block writes "checkout")
 *
 * window.RingbackConsent.init(rootElement) wires one block; blocks found in
 * the page are wired automatically (and again when the theme editor reloads
 * a section).
 */
(function () {
  'use strict';

  var READY = 'ringbackConsentReady';
  var PHONE_ALLOWED = /^\+?[0-9 ()./-]+$/;

  /** Collapses whitespace so the recorded wording equals the rendered one. */
  function normalizeText(text) {
    return String(text == null ? '' : text).replace(/\s+/g, ' ').trim();
  }

  /**
   * Basic sanity check; never rewrites the number. Digits, spaces and
   * ( ) . - / with one optional leading +, 7 to 15 digits.
   */
  function checkPhone(raw) {
    var value = String(raw == null ? '' : raw).trim();
    if (value === '') return {ok: true, value: ''};
    if (!PHONE_ALLOWED.test(value)) return {ok: false, value: value, reason: 'characters'};
    var digits = value.replace(/[^0-9]/g, '').length;
    if (digits < 7) return {ok: false, value: value, reason: 'too_short'};
    if (digits > 15) return {ok: false, value: value, reason: 'too_long'};
    return {ok: true, value: value};
  }

  /** /cart/update.js under the storefront's locale/market root, if any. */
  function cartUpdateUrl() {
    var root = '/';
    var shopify = window.Shopify;
    if (shopify && shopify.routes && typeof shopify.routes.root === 'string' && shopify.routes.root) {
      root = shopify.routes.root;
    }
    if (root.charAt(root.length - 1) !== '/') root += '/';
    return root + 'cart/update.js';
  }

  function postAttributes(attributes) {
    return fetch(cartUpdateUrl(), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify({attributes: attributes}),
    }).then(function (response) {
      if (!response.ok) throw new Error('cart/update.js answered ' + response.status);
      return response.json();
    });
  }

  function showError(element, message) {
    if (!element) return;
    element.textContent = message || '';
    element.hidden = !message;
  }

  function init(root) {
    if (!root || root.dataset[READY] === 'true') return null;
    var checkbox = root.querySelector('[data-ringback-checkbox]');
    var textElement = root.querySelector('[data-ringback-text]');
    var errorElement = root.querySelector('[data-ringback-error]');
    var phoneWrapper = root.querySelector('[data-ringback-phone-wrapper]');
    var phoneInput = root.querySelector('[data-ringback-phone]');
    var phoneError = root.querySelector('[data-ringback-phone-error]');
    if (!checkbox || !textElement) return null;
    root.dataset[READY] = 'true';

    var messages = {
      save: root.getAttribute('data-error-save') || 'Your choice could not be saved. Please try again.',
      phoneInvalid: root.getAttribute('data-error-phone-invalid') || 'Enter a valid phone number.',
      phoneSave: root.getAttribute('data-error-phone-save') || 'Your phone number could not be saved. Please try again.',
    };

    function wording() {
      return normalizeText(textElement.textContent);
    }

    // Unticked unless this cart already holds a "yes" to exactly this wording.
    var consented =
      root.getAttribute('data-consent') === 'yes' &&
      normalizeText(root.getAttribute('data-consent-text')) === wording();
    checkbox.checked = consented;
    var savedPhone = phoneInput ? normalizeText(phoneInput.value) : '';

    function syncPhoneVisibility() {
      if (phoneWrapper) phoneWrapper.hidden = !checkbox.checked;
    }
    syncPhoneVisibility();

    // Requests are sent one after another so the cart ends with the last choice.
    var queue = Promise.resolve();
    function enqueue(task) {
      var run = queue.then(task, task);
      queue = run.catch(function () {});
      return run;
    }

    function onConsentChange() {
      var next = checkbox.checked;
      var attributes = {
        ringback_consent: next ? 'yes' : 'no',
        ringback_consent_text: wording(),
        ringback_consent_at: new Date().toISOString(),
        ringback_consent_source: 'cart',
      };
      showError(errorElement, '');
      checkbox.disabled = true;
      syncPhoneVisibility();
      root.setAttribute('aria-busy', 'true');
      return enqueue(function () {
        return postAttributes(attributes);
      }).then(
        function () {
          consented = next;
        },
        function () {
          checkbox.checked = consented;
          showError(errorElement, messages.save);
        }
      ).then(function () {
        checkbox.disabled = false;
        root.removeAttribute('aria-busy');
        syncPhoneVisibility();
      });
    }

    function onPhoneCommit() {
      var result = checkPhone(phoneInput.value);
      if (!result.ok) {
        phoneInput.setAttribute('aria-invalid', 'true');
        showError(phoneError, messages.phoneInvalid);
        return Promise.resolve();
      }
      phoneInput.removeAttribute('aria-invalid');
      showError(phoneError, '');
      if (result.value === savedPhone) return Promise.resolve();
      var value = result.value;
      savedPhone = value;
      // A blank value removes the attribute from the cart.
      return enqueue(function () {
        return postAttributes({ringback_phone: value});
      }).then(null, function () {
        savedPhone = null;
        phoneInput.setAttribute('aria-invalid', 'true');
        showError(phoneError, messages.phoneSave);
      });
    }

    checkbox.addEventListener('change', onConsentChange);
    if (phoneInput) {
      phoneInput.addEventListener('change', onPhoneCommit);
      phoneInput.addEventListener('blur', onPhoneCommit);
    }

    return {
      root: root,
      destroy: function () {
        checkbox.removeEventListener('change', onConsentChange);
        if (phoneInput) {
          phoneInput.removeEventListener('change', onPhoneCommit);
          phoneInput.removeEventListener('blur', onPhoneCommit);
        }
        delete root.dataset[READY];
      },
    };
  }

  function initAll(scope) {
    var roots = (scope || document).querySelectorAll('[data-ringback-consent]');
    var wired = [];
    for (var i = 0; i < roots.length; i++) {
      var handle = init(roots[i]);
      if (handle) wired.push(handle);
    }
    return wired;
  }

  window.RingbackConsent = {
    init: init,
    initAll: initAll,
    checkPhone: checkPhone,
    normalizeText: normalizeText,
    cartUpdateUrl: cartUpdateUrl,
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
  // Theme editor: sections are re-rendered in place.
  document.addEventListener('shopify:section:load', function (event) {
    initAll(event.target);
  });
})();
