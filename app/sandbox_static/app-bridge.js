(function () {
  async function idToken() {
    const response = await window.__ringbackOriginalFetch("/sandbox/id-token");
    return (await response.json()).id_token;
  }
  window.__ringbackOriginalFetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    if (url.origin === window.location.origin && !url.pathname.startsWith("/sandbox/")) {
      init = Object.assign({}, init);
      const headers = new Headers(init.headers || {});
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + await idToken());
      init.headers = headers;
    }
    return window.__ringbackOriginalFetch(input, init);
  };
  window.shopify = { idToken: idToken, config: { apiKey: "sandbox" }, sandbox: true,
                     toast: { show: function (message) { console.log("toast:", message); } } };
})();

(function () {
  "use strict";
  const shopify = window.shopify;
  const style = document.createElement("style");
  style.textContent = `
s-app-nav { display: flex; flex-wrap: wrap; gap: 0.25rem; padding: 0.5rem 1rem; background: #fff;
  border-bottom: 1px solid #e3e3e3; font: 550 0.875rem/1.25rem -apple-system, BlinkMacSystemFont, "Segoe UI",
  Roboto, sans-serif; }
s-app-nav > s-link, s-app-nav > a { display: inline-block; }
ui-save-bar { display: none; }
.ringback-save-bar { position: fixed; inset: 0 0 auto 0; z-index: 1000; display: flex; flex-wrap: wrap;
  align-items: center; justify-content: space-between; gap: 0.5rem; padding: 0.625rem 1rem;
  background: #1a1a1a; color: #fff; font: 550 0.875rem/1.25rem -apple-system, BlinkMacSystemFont,
  "Segoe UI", Roboto, sans-serif; box-shadow: 0 2px 6px rgba(0,0,0,.25); }
.ringback-save-bar[hidden] { display: none; }
.ringback-save-bar .actions { display: flex; gap: 0.5rem; }
.ringback-save-bar button { font: inherit; min-height: 2rem; padding: 0.25rem 0.875rem; border-radius: 0.5rem;
  cursor: pointer; border: 1px solid #8a8a8a; background: #303030; color: #fff; }
.ringback-save-bar button.primary { background: #fff; color: #1a1a1a; border-color: #fff; }
.ringback-save-bar button[disabled] { opacity: 0.6; cursor: default; }
.ringback-toast { position: fixed; left: 50%; bottom: 1.5rem; transform: translateX(-50%); z-index: 1001;
  padding: 0.625rem 1rem; border-radius: 0.5rem; background: #1a1a1a; color: #fff;
  font: 550 0.875rem/1.25rem -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; }
.ringback-toast.error { background: #8e1f0b; }
.ringback-toast[hidden] { display: none; }
`;
  document.head.append(style);

  // s-app-nav: Shopify admin draws it as the app's sidebar menu; here it is a bar above the page.
  class AppNav extends HTMLElement {
    connectedCallback() {
      this.setAttribute("role", "navigation");
      if (!this.hasAttribute("aria-label")) this.setAttribute("aria-label", "App");
    }
  }

  // ui-save-bar: Shopify admin shows the contextual save bar above the app; here it is drawn in the page,
  // and its Save / Discard buttons click the element's own <button> children, as App Bridge does.
  class SaveBar extends HTMLElement {
    connectedCallback() {
      if (this._bar) return;
      this._save = Object.assign(document.createElement("button"), { type: "button", className: "primary" });
      this._discard = Object.assign(document.createElement("button"), { type: "button" });
      const actions = Object.assign(document.createElement("div"), { className: "actions" });
      actions.append(this._discard, this._save);
      const title = Object.assign(document.createElement("span"), { textContent: "Unsaved changes" });
      this._bar = Object.assign(document.createElement("div"),
                                { className: "ringback-save-bar", hidden: true });
      this._bar.setAttribute("role", "region");
      this._bar.setAttribute("aria-label", "Unsaved changes");
      this._bar.append(title, actions);
      this._save.addEventListener("click", () => this._child(true)?.click());
      this._discard.addEventListener("click", () => {
        const ask = this.hasAttribute("discardconfirmation");
        if (ask && !window.confirm("Discard all unsaved changes?")) return;
        this._child(false)?.click();
      });
      new MutationObserver(() => this._mirror())
        .observe(this, { subtree: true, childList: true, attributes: true, characterData: true });
      document.body.append(this._bar);
      this._mirror();
    }
    _child(primary) {
      const buttons = [...this.querySelectorAll("button")];
      return buttons.find((b) => (b.getAttribute("variant") === "primary") === primary);
    }
    _mirror() {
      for (const [own, child, fallback] of [[this._save, this._child(true), "Save"],
                                            [this._discard, this._child(false), "Discard"]]) {
        own.textContent = (child && child.textContent.trim()) || fallback;
        const busy = !!child && child.hasAttribute("loading");
        own.disabled = !!child && (child.disabled || busy);
        own.toggleAttribute("aria-busy", busy);
      }
    }
    get showing() { return !!this._bar && !this._bar.hidden; }
    async show() {
      this.connectedCallback();
      this._bar.hidden = false;
      this.dispatchEvent(new Event("show"));
    }
    async hide() { if (this._bar) this._bar.hidden = true; this.dispatchEvent(new Event("hide")); }
    async toggle() { return this.showing ? this.hide() : this.show(); }
    disconnectedCallback() { this._bar?.remove(); this._bar = null; }
  }

  window.customElements.define("s-app-nav", AppNav);
  window.customElements.define("ui-save-bar", SaveBar);

  function bar(id) {
    const element = document.getElementById(id);
    if (!element || element.localName !== "ui-save-bar") throw new Error("no ui-save-bar with id " + id);
    return element;
  }
  shopify.saveBar = {
    show: async (id) => bar(id).show(),
    hide: async (id) => bar(id).hide(),
    toggle: async (id) => bar(id).toggle(),
    leaveConfirmation: async () => undefined,
  };

  const log = shopify.toast.show;
  let toast = null;
  let timer = null;
  shopify.toast.show = function (message, options) {
    log(message);
    if (!toast) {
      toast = Object.assign(document.createElement("div"), { className: "ringback-toast", hidden: true });
      toast.setAttribute("role", "status");
      document.body.append(toast);
    }
    toast.textContent = message;
    toast.classList.toggle("error", !!(options && options.isError));
    toast.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => { toast.hidden = true; }, (options && options.duration) || 4000);
    return "toast";
  };
})();
