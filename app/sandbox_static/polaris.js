(function () {
  "use strict";
  if (window.customElements.get("s-page")) return;
  const CSS = `
:host { font: 400 0.875rem/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif;
  color: #303030; box-sizing: border-box; }
*, *::before, *::after { box-sizing: inherit; }
[hidden] { display: none !important; }
.page { max-width: 62rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
.page.small { max-width: 40rem; } .page.large { max-width: 80rem; }
h1 { font-size: 1.25rem; line-height: 1.75rem; margin: 0 0 1rem; font-weight: 650; }
section.card { background: #fff; border-radius: 0.75rem; padding: 1rem;
  box-shadow: 0 1px 0 rgba(26,26,26,.07), 0 0 0 1px rgba(26,26,26,.07); margin: 0 0 1rem; }
section.plain { padding: 0.5rem 0; margin: 0; }
h2 { font-size: 0.875rem; line-height: 1.25rem; font-weight: 650; margin: 0 0 0.75rem; }
p { margin: 0 0 0.75rem; }
.text.subdued { color: #616161; } .text.critical { color: #8e1f0b; } .text.success { color: #0c5132; }
.text.strong { font-weight: 650; }
a { color: #005bd3; text-decoration: underline; border-radius: 0.25rem; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible {
  outline: 2px solid #005bd3; outline-offset: 1px; }
a.neutral { color: inherit; } a.critical { color: #8e1f0b; }
a.nav { display: inline-block; padding: 0.375rem 0.75rem; border-radius: 0.5rem; color: #303030;
  text-decoration: none; font-weight: 550; }
a.nav:hover { background: #f1f1f1; } a.nav[aria-current="page"] { background: #ebebeb; font-weight: 650; }
button, a.button { font: inherit; font-weight: 550; display: inline-flex; align-items: center; gap: 0.375rem;
  justify-content: center; min-height: 2rem; padding: 0.375rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid #c9c9c9; background: #fff; color: #303030; cursor: pointer; text-decoration: none;
  white-space: nowrap; box-shadow: 0 1px 0 rgba(0,0,0,.06); }
button:hover, a.button:hover { background: #f7f7f7; }
button.primary, a.button.primary { background: #303030; border-color: #303030; color: #fff; }
button.primary:hover { background: #1a1a1a; }
button.tertiary, a.button.tertiary { border-color: transparent; background: transparent; box-shadow: none; }
button.critical { color: #8e1f0b; } button.primary.critical { background: #c70a24; border-color: #c70a24;
  color: #fff; }
button[disabled] { opacity: 0.55; cursor: default; }
.badge { display: inline-flex; align-items: center; border-radius: 0.5rem; padding: 0.125rem 0.5rem;
  font-size: 0.75rem; line-height: 1rem; font-weight: 550; background: #e3e3e3; color: #303030;
  white-space: nowrap; }
.badge.info { background: #e0f0ff; color: #00426b; } .badge.success { background: #cdfee1; color: #0c5132; }
.badge.caution { background: #fff1c7; color: #4f4700; }
.badge.warning { background: #ffd6a4; color: #5e2c00; }
.badge.critical { background: #fedad9; color: #8e0b21; }
.banner { display: flex; gap: 0.75rem; align-items: flex-start; border-radius: 0.75rem; padding: 0.75rem 1rem;
  background: #eaf4ff; border: 1px solid #a8d2ff; margin: 0 0 1rem; }
.banner.success { background: #edfff4; border-color: #8be0ac; }
.banner.warning { background: #fff6e9; border-color: #ffc879; }
.banner.critical { background: #fff4f4; border-color: #f5a4a0; }
.banner .body { flex: 1; min-width: 0; } .banner strong { display: block; margin-bottom: 0.125rem; }
.field { display: flex; flex-direction: column; gap: 0.25rem; margin: 0 0 0.75rem; min-width: 0; }
label, .label { font-weight: 450; }
.control { display: flex; align-items: stretch; border: 1px solid #8a8a8a; border-radius: 0.5rem;
  background: #fdfdfd; min-height: 2rem; }
.control:focus-within { outline: 2px solid #005bd3; outline-offset: 1px; }
.control.invalid { border-color: #c70a24; background: #fff4f4; }
.control input, .control select, .control textarea { flex: 1; min-width: 0; font: inherit; color: inherit;
  border: 0; background: transparent; padding: 0.3125rem 0.625rem; outline: none; width: 100%; }
.control textarea { resize: vertical; }
.affix { display: flex; align-items: center; padding: 0 0.5rem; color: #616161; }
.details { color: #616161; font-size: 0.8125rem; }
.error { color: #8e1f0b; font-size: 0.8125rem; display: flex; gap: 0.25rem; }
.error::before { content: "\\26A0"; }
.check { display: grid; grid-template-columns: auto 1fr; column-gap: 0.5rem; align-items: start;
  margin: 0 0 0.75rem; }
.check input { margin: 0.2rem 0 0; width: 1rem; height: 1rem; accent-color: #303030; }
.check .details, .check .error { grid-column: 2; }
.check.switch input { appearance: none; width: 2rem; height: 1.125rem; border-radius: 1rem;
  background: #8a8a8a; position: relative; cursor: pointer; margin-top: 0.1rem; }
.check.switch input::after { content: ""; position: absolute; top: 0.125rem; left: 0.125rem; width: 0.875rem;
  height: 0.875rem; border-radius: 50%; background: #fff; transition: left .15s; }
.check.switch input:checked { background: #303030; } .check.switch input:checked::after { left: 1rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.spinner { display: inline-block; width: 1.25rem; height: 1.25rem; border-radius: 50%;
  border: 2px solid #d4d4d4; border-top-color: #303030; animation: spin 0.8s linear infinite; }
.spinner.large { width: 2.75rem; height: 2.75rem; border-width: 3px; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 2.4s; } }
`;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  // How the hosts sit in the page (Polaris's own elements say this themselves).
  const hosts = document.createElement("style");
  hosts.textContent = "s-page, s-section, s-paragraph, s-heading, s-banner, s-text-field, s-search-field, " +
    "s-email-field, s-number-field, s-date-field, s-text-area, s-select, s-checkbox, s-switch " +
    "{ display: block; }" +
    " s-button, s-badge, s-spinner { display: inline-block; } s-option { display: none; }";
  document.head.append(hosts);
  let counter = 0;

  function root(host) {
    const shadow = host.attachShadow({ mode: "open", delegatesFocus: host.focusable === true });
    shadow.adoptedStyleSheets = [sheet];
    return shadow;
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  }

  // Properties that mirror an attribute, as Polaris's do: strings, booleans and numbers.
  function reflect(Class, props) {
    for (const [prop, kind] of Object.entries(props)) {
      const attr = prop.toLowerCase();
      Object.defineProperty(Class.prototype, prop, {
        configurable: true,
        get() {
          if (kind === Boolean) return this.hasAttribute(attr);
          const raw = this.getAttribute(attr);
          return kind === Number ? (raw == null || raw === "" ? undefined : Number(raw)) : (raw ?? "");
        },
        set(value) {
          if (kind === Boolean ? !value : value == null || value === "") this.removeAttribute(attr);
          else this.setAttribute(attr, kind === Boolean ? "" : String(value));
        },
      });
    }
    const names = Object.keys(props).map((p) => p.toLowerCase());
    Class.observedAttributes = [...(Class.observedAttributes || []), ...names];
  }

  class Base extends HTMLElement {
    connectedCallback() {
      if (!this.shadowRoot) this.build(root(this));
      this.update();
    }
    attributeChangedCallback() { if (this.shadowRoot) this.update(); }
    build() {}
    update() {}
  }

  // -- structure ------------------------------------------------------------------------------
  class Page extends Base {
    build(shadow) {
      this._heading = h("h1");
      this._box = h("div", { class: "page" }, this._heading, h("slot"));
      shadow.append(this._box);
    }
    update() {
      this._heading.textContent = this.heading;
      this._heading.hidden = !this.heading;
      this._box.className = "page " + (this.inlineSize || "base");
    }
  }
  reflect(Page, { heading: String, inlineSize: String });

  class Section extends Base {
    build(shadow) {
      this._id = "s" + ++counter;
      this._heading = h("h2", { id: this._id });
      this._box = h("section", {}, this._heading, h("slot"));
      shadow.append(this._box);
    }
    update() {
      const nested = this.parentElement && this.parentElement.closest("s-section");
      this._box.className = nested ? "plain" : "card";
      this._heading.textContent = this.heading;
      this._heading.hidden = !this.heading;
      if (this.heading) this._box.setAttribute("aria-labelledby", this._id);
      else this._box.removeAttribute("aria-labelledby");
      if (this.accessibilityLabel) this._box.setAttribute("aria-label", this.accessibilityLabel);
    }
  }
  reflect(Section, { heading: String, padding: String, accessibilityLabel: String });

  class Paragraph extends Base {
    build(shadow) { this._p = h("p", {}, h("slot")); shadow.append(this._p); }
    update() { this._p.className = "text " + (this.tone || "") + " " + (this.color || ""); }
  }
  reflect(Paragraph, { tone: String, color: String });

  class Text extends Base {
    build(shadow) { this._span = h("span", {}, h("slot")); shadow.append(this._span); }
    update() {
      this._span.className = ["text", this.tone, this.color, this.type].filter(Boolean).join(" ");
    }
  }
  reflect(Text, { tone: String, color: String, type: String });

  class Heading extends Base {
    build(shadow) { shadow.append(h("h2", {}, h("slot"))); }
  }

  class Link extends Base {
    build(shadow) { this._a = h("a", {}, h("slot")); shadow.append(this._a); }
    update() {
      for (const name of ["href", "target", "download"]) {
        const value = this.getAttribute(name);
        if (value == null) this._a.removeAttribute(name); else this._a.setAttribute(name, value);
      }
      if (this.target === "_blank") this._a.setAttribute("rel", "noopener");
      // In the sandbox's app nav (the admin sidebar's stand-in), a link reads as a menu item.
      const nav = this.parentElement && this.parentElement.localName === "s-app-nav";
      this._a.className = [this.tone, nav && "nav"].filter(Boolean).join(" ");
      if (this.accessibilityLabel) this._a.setAttribute("aria-label", this.accessibilityLabel);
      const current = this.getAttribute("aria-current");
      if (current) this._a.setAttribute("aria-current", current);
      else this._a.removeAttribute("aria-current");
    }
    focus() { this._a ? this._a.focus() : super.focus(); }
  }
  reflect(Link, { href: String, target: String, download: String, tone: String, accessibilityLabel: String });
  Link.observedAttributes.push("aria-current");

  class Button extends Base {
    build(shadow) {
      this._spinner = h("span", { class: "spinner", "aria-hidden": "true", hidden: true });
      this._button = h("button", { type: "button" }, this._spinner, h("slot"));
      this._link = h("a", { class: "button" }, h("slot", { name: "" }));
      this._link.hidden = true;
      shadow.append(this._button, this._link);
      this._button.addEventListener("click", () => {
        if (this.type === "submit") this.closest("form")?.requestSubmit();
        if (this.type === "reset") this.closest("form")?.reset();
      });
    }
    update() {
      const classes = [this.variant || "secondary", this.tone || ""].join(" ");
      const asLink = !!this.href;
      this._button.hidden = asLink;
      this._link.hidden = !asLink;
      // Only one slot may take the children: the visible control's.
      (asLink ? this._button : this._link).querySelector("slot").name = "unused";
      (asLink ? this._link : this._button).querySelector("slot").removeAttribute("name");
      this._button.className = classes;
      this._link.className = "button " + classes;
      this._button.disabled = this.disabled || this.loading;
      this._spinner.hidden = !this.loading;
      this._button.toggleAttribute("aria-busy", this.loading);
      if (asLink) {
        this._link.href = this.href;
        if (this.target) this._link.target = this.target;
        if (this.download) this._link.setAttribute("download", this.download);
      }
      const label = this.accessibilityLabel;
      for (const node of [this._button, this._link]) {
        if (label) node.setAttribute("aria-label", label); else node.removeAttribute("aria-label");
      }
    }
    focus() { (this.href ? this._link : this._button)?.focus(); }
    click() { (this.href ? this._link : this._button)?.click(); }
  }
  reflect(Button, { variant: String, tone: String, type: String, href: String, target: String,
                    download: String, disabled: Boolean, loading: Boolean, accessibilityLabel: String });

  class Badge extends Base {
    build(shadow) { this._span = h("span", { class: "badge" }, h("slot")); shadow.append(this._span); }
    update() { this._span.className = "badge " + (this.tone || "neutral"); }
  }
  reflect(Badge, { tone: String, size: String, color: String, icon: String });

  class Banner extends Base {
    build(shadow) {
      this._heading = h("strong");
      this._close = h("button", { type: "button", class: "tertiary", "aria-label": "Dismiss" }, "\u2715");
      const body = h("div", { class: "body" }, this._heading, h("slot"));
      this._box = h("div", { class: "banner" }, body, this._close);
      this._close.addEventListener("click", () => {
        this.dispatchEvent(new Event("dismiss", { bubbles: true }));
        this.hidden = true;
        this.dispatchEvent(new Event("afterhide", { bubbles: true }));
      });
      shadow.append(this._box);
    }
    update() {
      const tone = this.tone || "info";
      this._box.className = "banner " + tone;
      this._box.setAttribute("role", tone === "critical" ? "alert" : "status");
      this._heading.textContent = this.heading;
      this._heading.hidden = !this.heading;
      this._close.hidden = !this.dismissible;
    }
  }
  reflect(Banner, { heading: String, tone: String, dismissible: Boolean });

  class Spinner extends Base {
    build(shadow) { this._span = h("span", { class: "spinner", role: "status" }); shadow.append(this._span); }
    update() {
      this._span.className = "spinner " + (this.size || "");
      this._span.setAttribute("aria-label", this.accessibilityLabel || "Loading");
    }
  }
  reflect(Spinner, { accessibilityLabel: String, size: String });

  // -- fields: a native control inside, the same properties and events as Polaris's -------------
  class Field extends Base {
    static formAssociated = true;
    constructor() {
      super();
      this._internals = this.attachInternals ? this.attachInternals() : null;
    }
    control() { return h("input", { type: "text" }); }
    build(shadow) {
      const id = "f" + ++counter;
      this._input = this.control();
      this._input.id = id;
      this._label = h("label", { for: id });
      this._prefix = h("span", { class: "affix", "aria-hidden": "true" });
      this._suffix = h("span", { class: "affix", "aria-hidden": "true" });
      this._box = h("div", { class: "control" }, this._prefix, this._input, this._suffix);
      this._details = h("div", { class: "details", id: id + "-details" });
      this._error = h("div", { class: "error", id: id + "-error" });
      shadow.append(h("div", { class: "field" }, this._label, this._box, this._details, this._error));
      this._input.addEventListener("input", () => this._sync());
      // `change` does not cross the shadow boundary (`input` does): pass it on from the host.
      this._input.addEventListener("change", () => {
        this._sync();
        this.dispatchEvent(new Event("change", { bubbles: true }));
      });
      const initial = this.getAttribute("value") ?? this.getAttribute("defaultvalue");
      if (initial != null) this._input.value = initial;
      this._sync();
    }
    _sync() { this._internals?.setFormValue(this._input.value); }
    update() {
      this._label.textContent = this.label;
      this._label.className = this.labelAccessibilityVisibility === "exclusive" ? "visually-hidden" : "";
      this._details.textContent = this.details;
      this._details.hidden = !this.details;
      this._error.textContent = this.error;
      this._error.hidden = !this.error;
      this._box.classList.toggle("invalid", !!this.error);
      this._input.setAttribute("aria-invalid", this.error ? "true" : "false");
      const described = [this.error && this._error.id, this.details && this._details.id].filter(Boolean);
      if (described.length) this._input.setAttribute("aria-describedby", described.join(" "));
      else this._input.removeAttribute("aria-describedby");
      this._input.disabled = this.disabled;
      this._input.required = this.required;
      this._input.readOnly = this.readOnly;
      for (const name of ["placeholder", "name", "autocomplete", "min", "max", "step", "maxlength",
                          "minlength", "rows", "inputmode"]) {
        const value = this.getAttribute(name);
        if (value == null) this._input.removeAttribute(name); else this._input.setAttribute(name, value);
      }
      this._prefix.textContent = this.prefix;
      this._prefix.hidden = !this.prefix;
      this._suffix.textContent = this.suffix;
      this._suffix.hidden = !this.suffix;
    }
    attributeChangedCallback(name, old, value) {
      if (name === "value" && this._input && value != null && value !== this._input.value) {
        this._input.value = value;
        this._sync();
      }
      super.attributeChangedCallback();
    }
    get value() { return this._input ? this._input.value : (this.getAttribute("value") ?? ""); }
    set value(value) {
      if (this._input) { this._input.value = value ?? ""; this._sync(); }
      else this.setAttribute("value", value ?? "");
    }
    focus() { this._input ? this._input.focus() : super.focus(); }
    blur() { this._input?.blur(); }
  }
  reflect(Field, { label: String, details: String, error: String, placeholder: String, name: String,
                   disabled: Boolean, required: Boolean, readOnly: Boolean,
                   labelAccessibilityVisibility: String, prefix: String, suffix: String, autocomplete: String,
                   defaultValue: String });
  Field.observedAttributes.push("value");

  class TextField extends Field {}
  reflect(TextField, { maxLength: Number, minLength: Number, icon: String });

  class SearchField extends Field {
    control() { return h("input", { type: "search" }); }
  }
  class EmailField extends Field {
    control() { return h("input", { type: "email" }); }
  }
  class NumberField extends Field {
    control() { return h("input", { type: "number" }); }
  }
  reflect(NumberField, { min: Number, max: Number, step: Number, inputMode: String });

  class DateField extends Field {
    control() { return h("input", { type: "date" }); }
  }
  reflect(DateField, { allow: String, disallow: String });

  class TextArea extends Field {
    control() { return h("textarea", { rows: "3" }); }
  }
  reflect(TextArea, { rows: Number, maxLength: Number, minLength: Number });

  class Select extends Field {
    control() { return h("select"); }
    build(shadow) {
      super.build(shadow);
      this._observer = new MutationObserver(() => this._options());
      this._observer.observe(this, { childList: true, subtree: true, characterData: true, attributes: true,
                                     attributeFilter: ["value", "selected", "disabled"] });
      this._options();
    }
    _options() {
      const current = this._input.value || this.getAttribute("value");
      this._input.replaceChildren();
      if (this.placeholder) {
        this._input.append(h("option", { value: "", disabled: true }, this.placeholder));
      }
      for (const option of this.querySelectorAll("s-option")) {
        const value = option.getAttribute("value") ?? option.textContent.trim();
        const attrs = { value, disabled: option.hasAttribute("disabled"),
                        selected: option.hasAttribute("selected") };
        this._input.append(h("option", attrs, option.textContent.trim()));
      }
      const known = [...this._input.options].some((o) => o.value === current);
      if (current != null && known) this._input.value = current;
      this._sync();
    }
  }

  class Option extends HTMLElement {}
  reflect(Option, { value: String, selected: Boolean, disabled: Boolean, defaultSelected: Boolean });

  class Checkbox extends Base {
    static formAssociated = true;
    constructor() {
      super();
      this._internals = this.attachInternals ? this.attachInternals() : null;
    }
    build(shadow) {
      const id = "c" + ++counter;
      this._input = h("input", { type: "checkbox", id });
      if (this.localName === "s-switch") this._input.setAttribute("role", "switch");
      this._label = h("label", { for: id });
      this._details = h("div", { class: "details", id: id + "-details" });
      this._error = h("div", { class: "error", id: id + "-error" });
      const kind = this.localName === "s-switch" ? "check switch" : "check";
      shadow.append(h("div", { class: kind }, this._input, this._label, this._details, this._error));
      this._input.checked = this.hasAttribute("checked") || this.hasAttribute("defaultchecked");
      this._input.addEventListener("input", () => this._sync());
      this._input.addEventListener("change", () => {
        this._sync();
        this.dispatchEvent(new Event("change", { bubbles: true }));
      });
      this._sync();
    }
    _sync() {
      this._internals?.setFormValue(this._input.checked ? (this.getAttribute("value") || "on") : null);
    }
    update() {
      this._label.textContent = this.label;
      this._label.className = this.labelAccessibilityVisibility === "exclusive" ? "visually-hidden" : "";
      if (!this.label && this.accessibilityLabel) {
        this._input.setAttribute("aria-label", this.accessibilityLabel);
      }
      this._details.textContent = this.details;
      this._details.hidden = !this.details;
      this._error.textContent = this.error;
      this._error.hidden = !this.error;
      this._input.setAttribute("aria-invalid", this.error ? "true" : "false");
      const described = [this.error && this._error.id, this.details && this._details.id].filter(Boolean);
      if (described.length) this._input.setAttribute("aria-describedby", described.join(" "));
      else this._input.removeAttribute("aria-describedby");
      this._input.disabled = this.disabled;
      this._input.required = this.required;
    }
    attributeChangedCallback(name, old, value) {
      if (name === "checked" && this._input) { this._input.checked = value != null; this._sync(); }
      super.attributeChangedCallback();
    }
    get checked() { return this._input ? this._input.checked : this.hasAttribute("checked"); }
    set checked(value) {
      if (this._input) { this._input.checked = !!value; this._sync(); }
      else this.toggleAttribute("checked", !!value);
    }
    get value() { return this.getAttribute("value") || "on"; }
    set value(value) { this.setAttribute("value", value); }
    focus() { this._input ? this._input.focus() : super.focus(); }
  }
  reflect(Checkbox, { label: String, details: String, error: String, name: String, disabled: Boolean,
                      required: Boolean, accessibilityLabel: String, labelAccessibilityVisibility: String });
  Checkbox.observedAttributes.push("checked");
  class Switch extends Checkbox {}

  const elements = {
    "s-page": Page, "s-section": Section, "s-paragraph": Paragraph, "s-text": Text, "s-heading": Heading,
    "s-link": Link, "s-button": Button, "s-badge": Badge, "s-banner": Banner, "s-spinner": Spinner,
    "s-text-field": TextField, "s-search-field": SearchField, "s-email-field": EmailField,
    "s-number-field": NumberField, "s-date-field": DateField, "s-text-area": TextArea, "s-select": Select,
    "s-option": Option, "s-checkbox": Checkbox, "s-switch": Switch,
  };
  for (const [tag, Class] of Object.entries(elements)) window.customElements.define(tag, Class);
})();
