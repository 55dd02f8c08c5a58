// Settings: every field of the settings schema (GET /api/openapi.json), grouped as a merchant thinks, so a
// new setting shows up here without touching this page. Saved all-or-nothing with PUT /api/settings; the
// contextual save bar is shown while the form differs from what is saved; errors sit next to their fields.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("settings");
  const SAVE_BAR = "settings-save-bar";
  const saveButton = document.getElementById("settings-save");
  const discardButton = document.getElementById("settings-discard");
  const LANGUAGES = { en: "English", es: "Spanish", fr: "French", de: "German" };
  const PREVIEW_DELAY_MS = 350;

  // The groups, in order, and the settings each holds; a setting in none of them goes to the last.
  const GROUPS = [
    ["When to contact", "How soon and how often Ringback reaches out, and to whom.",
     ["first_contact_delay_minutes", "contact_window_start", "contact_window_end", "min_attempt_spacing_minutes",
      "max_attempts", "sms_fallback_delay_minutes", "min_cart_value", "allowed_countries"]],
    ["Channels", "Calls and texts, and what happens on a call.",
     ["calls_enabled", "sms_enabled", "recording_enabled", "voicemail_action", "transfer_phone", "transfer_hours"]],
    ["The assistant", "How the AI assistant introduces the store and sounds.",
     ["store_display_name", "agent_voices", "support_contact"]],
    ["Discounts", "What the assistant may offer a shopper who hesitates over the price.",
     ["discount_max_percent", "discount_expiry_hours", "discount_applies_to"]],
    ["SMS templates", "The recovery text, per language, as a shopper would get it.",
     ["sms_templates", "sms_max_segments"]],
    ["Measuring results", "How Ringback proves what it recovers.", ["holdout_percent", "attribution_window_days"]],
    ["Compliance & retention", "How long personal data is kept.", ["retention_days"]],
  ];
  const OTHER_GROUP = ["More settings", "Settings added since this page was written."];
  const LABELS = {
    calls_enabled: "AI phone calls", sms_enabled: "Text messages (SMS)", recording_enabled: "Record calls",
    first_contact_delay_minutes: "First contact after", sms_fallback_delay_minutes: "Text after an unanswered call",
    max_attempts: "Most contacts per shopper", min_attempt_spacing_minutes: "Least time between two contacts",
    min_cart_value: "Smallest cart worth contacting", allowed_countries: "Countries to contact",
    contact_window_start: "Earliest time to contact", contact_window_end: "Latest time to contact",
    holdout_percent: "Holdout group", attribution_window_days: "Attribution window",
    store_display_name: "Store name on calls and texts", discount_max_percent: "Largest discount",
    discount_expiry_hours: "Discount codes valid for", discount_applies_to: "Discount codes cover",
    transfer_phone: "Transfer shoppers who ask for a person to", transfer_hours: "Support hours for transfers",
    voicemail_action: "On an answering machine", agent_voices: "Voices", sms_templates: "Recovery text",
    sms_max_segments: "Most SMS segments per text", support_contact: "Where shoppers reach the store",
    retention_days: "Keep personal data for",
  };
  // Plainer words than the schema's descriptions, where they help; the schema's otherwise.
  const DETAILS = {
    allowed_countries: "ISO country codes separated by commas, e.g. US, CA. Empty: every country.",
    contact_window_start: "HH:MM in the shopper's local time. Never earlier than the legal window (08:00).",
    contact_window_end: "HH:MM in the shopper's local time. Never later than the legal window (21:00, "
      + "20:00 in some states).",
    transfer_phone: "A phone number in international form, like +14155550123. Empty: no transfers.",
    transfer_hours: "HH:MM-HH:MM in the store's time zone. Empty: at any hour; outside them the assistant "
      + "offers a callback.",
    store_display_name: "Empty: your Shopify store name.",
    holdout_percent: "Share of eligible checkouts never contacted, to measure the lift. 0 turns it off.",
    support_contact: "An e-mail, phone or web address, named in the reply to HELP. Empty: none.",
    sms_templates: "Placeholders: {store}, {first_name}, {cart} and {link} (required). Empty: the default "
      + "wording.",
  };
  const CHOICES = {
    voicemail_action: { message: "Leave a short message", hangup: "Hang up" },
    discount_applies_to: { cart_products: "The products in the cart", order_minimum: "Orders of the cart's value",
                           all_items: "Any item" },
  };
  const UNITS = [[/_minutes$/, "minutes"], [/_hours$/, "hours"], [/_days$/, "days"], [/_percent$/, "%"]];

  let controls = {};
  let saved = null;
  let saving = false;

  // -- loading ------------------------------------------------------------------------------------
  async function load() {
    R.busy(region);
    const [doc, values, ...previews] = await Promise.allSettled([
      R.api("/api/openapi.json"), R.api("/api/settings"),
      ...Object.keys(LANGUAGES).map((language) => R.api("/api/sms/preview", { method: "POST", json: { language } })),
    ]);
    if (doc.status === "rejected" || values.status === "rejected") {
      const error = doc.status === "rejected" ? doc.reason : values.reason;
      R.fill(region, R.errorState(`The settings could not be loaded: ${R.describe(error)}`, load));
      return;
    }
    const schema = settingsSchema(doc.value);
    saved = values.value;
    controls = {};
    const sections = groups(schema).map(([title, description, names]) =>
      h("s-section", { heading: title, "data-group": title },
        h("p", { class: "group-description" }, description),
        h("div", { class: "fields" }, names.map((name) => field(name, schema[name])))));
    R.fill(region, h("div", { id: "settings-errors" }), sections);
    write(saved);
    Object.keys(LANGUAGES).forEach((language, index) => {
      const preview = previews[index];
      if (preview.status === "fulfilled") showPreview(language, preview.value);
    });
  }

  function settingsSchema(doc) {
    const get = doc.paths["/api/settings"].get;
    return get.responses["200"].content["application/json"].schema.properties;
  }

  function groups(schema) {
    const placed = new Set();
    const result = [];
    for (const [title, description, names] of GROUPS) {
      const present = names.filter((name) => name in schema);
      present.forEach((name) => placed.add(name));
      if (present.length) result.push([title, description, present]);
    }
    const rest = Object.keys(schema).filter((name) => !placed.has(name));
    if (rest.length) result.push([...OTHER_GROUP, rest]);
    return result;
  }

  // -- one control per setting, chosen by its schema ----------------------------------------------
  function field(name, schema) {
    const label = LABELS[name] || R.humanize(name);
    const details = DETAILS[name] || schema.description || "";
    const types = [].concat(schema.type || []);
    let control;
    if (types.includes("boolean")) control = toggle(name, label, details);
    else if (schema.enum) control = choice(name, label, details, schema.enum);
    else if (types.includes("integer") || types.includes("number")) control = number(name, label, details, schema);
    else if (types.includes("array")) control = list(name, label, details);
    else if (types.includes("object")) control = perLanguage(name, label, details, schema);
    else control = text(name, label, details, schema, types.includes("null"));
    controls[name] = control;
    return h("div", { class: "setting", dataset: { setting: name } }, control.node);
  }

  function toggle(name, label, details) {
    const node = h("s-switch", { label, details, name, id: `setting-${name}` });
    return { node, read: () => node.checked, write: (value) => { node.checked = !!value; },
             error: (message) => R.setError(node, message), focus: () => node.focus() };
  }

  function choice(name, label, details, values) {
    const names = CHOICES[name] || {};
    const node = h("s-select", { label, details, name, id: `setting-${name}` },
      values.map((value) => h("s-option", { value }, names[value] || R.humanize(value))));
    return { node, read: () => node.value, write: (value) => { node.value = value; },
             error: (message) => R.setError(node, message), focus: () => node.focus() };
  }

  function number(name, label, details, schema) {
    const unit = UNITS.find(([pattern]) => pattern.test(name));
    const node = h("s-number-field", { label, details, name, id: `setting-${name}`, step: "1", inputMode: "numeric",
                                       min: schema.minimum, max: schema.maximum, suffix: unit ? unit[1] : null });
    return {
      node,
      read: () => {
        const raw = String(node.value ?? "").trim();
        return raw === "" ? null : /^-?\d+$/.test(raw) ? Number(raw) : raw;
      },
      write: (value) => { node.value = value == null ? "" : String(value); },
      error: (message) => R.setError(node, message), focus: () => node.focus(),
    };
  }

  function text(name, label, details, schema, nullable) {
    const money = name === "min_cart_value";
    const node = h("s-text-field", { label, details, name, id: `setting-${name}`, autocomplete: "off",
                                     maxLength: schema.maxLength, suffix: money ? R.shop.currency : null,
                                     placeholder: /HH:MM/.test(details) && !nullable ? "HH:MM" : null });
    return {
      node,
      read: () => {
        const value = String(node.value ?? "").trim();
        return nullable && value === "" ? null : value;
      },
      write: (value) => { node.value = value == null ? "" : String(value); },
      error: (message) => R.setError(node, message), focus: () => node.focus(),
    };
  }

  function list(name, label, details) {
    const node = h("s-text-field", { label, details, name, id: `setting-${name}`, autocomplete: "off" });
    return {
      node,
      read: () => String(node.value ?? "").split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean),
      write: (value) => { node.value = (value || []).join(", "); },
      error: (message) => R.setError(node, message), focus: () => node.focus(),
    };
  }

  /** An object keyed by language (voices, SMS templates): one field per language. */
  function perLanguage(name, label, details, schema) {
    // Known languages in their usual order, then any the schema adds.
    const order = Object.keys(LANGUAGES);
    const rank = (key) => (order.includes(key) ? order.indexOf(key) : order.length);
    const keys = Object.keys(schema.properties || {}).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const templates = name === "sms_templates";
    const parts = {};
    const rows = keys.map((key) => {
      const fieldLabel = `${label}: ${LANGUAGES[key] || key}`;
      const input = templates
        ? h("s-text-area", { label: fieldLabel, name: `${name}.${key}`, rows: "3", placeholder: "Default wording",
                             maxLength: schema.properties[key].maxLength, id: `setting-${name}-${key}` })
        : h("s-text-field", { label: fieldLabel, name: `${name}.${key}`, autocomplete: "off",
                              id: `setting-${name}-${key}` });
      parts[key] = input;
      if (!templates) return h("div", { class: "language-field" }, input);
      const preview = h("div", { class: "sms-preview", "aria-live": "polite", "data-testid": `preview-${key}`,
                                 id: `preview-${key}` },
        h("p", { class: "bubble subdued" }, "Preview loading…"), h("p", { class: "segments subdued" }, "\u00a0"));
      input.addEventListener("input", () => schedulePreview(key, input));
      return h("div", { class: "language-field template" }, input, preview);
    });
    const node = h("fieldset", { class: "language-group" }, h("legend", {}, label),
      details ? h("p", { class: "details" }, details) : null, rows);
    return {
      node,
      read: () => {
        const value = {};
        for (const [key, input] of Object.entries(parts)) {
          const text = String(input.value ?? "").trim();
          if (text) value[key] = text;
        }
        return value;
      },
      write: (value) => {
        for (const [key, input] of Object.entries(parts)) input.value = (value && value[key]) || "";
      },
      // "en: must contain {link}; fr: …" goes next to each language; anything else to the first.
      error: (message) => {
        const byLanguage = {};
        for (const part of (message || "").split("; ")) {
          const match = /^([a-z]{2}): (.*)$/.exec(part);
          if (match && parts[match[1]]) byLanguage[match[1]] = match[2];
        }
        const keysWithErrors = Object.keys(byLanguage);
        Object.entries(parts).forEach(([key, input], index) => {
          const text = keysWithErrors.length ? byLanguage[key] : index === 0 ? message : "";
          R.setError(input, text || "");
        });
      },
      focus: () => Object.values(parts)[0].focus(),
    };
  }

  // -- SMS previews -------------------------------------------------------------------------------
  const timers = {};
  function schedulePreview(language, input) {
    clearTimeout(timers[language]);
    timers[language] = setTimeout(async () => {
      const template = String(input.value ?? "").trim() || null;
      try {
        const body = template ? { language, template } : { language };
        showPreview(language, await R.api("/api/sms/preview", { method: "POST", json: body }));
        R.setError(input, "");
      } catch (error) {
        R.setError(input, (error.errors && error.errors.template) || R.describe(error));
      }
    }, PREVIEW_DELAY_MS);
  }

  function showPreview(language, preview) {
    const box = document.getElementById(`preview-${language}`);
    if (!box) return;
    const parts = `${preview.segments} segment${preview.segments === 1 ? "" : "s"}`;
    const limit = preview.within_limit ? h("span", {}, ` of at most ${preview.limit}`)
      : h("strong", { class: "critical" }, ` — over the limit of ${preview.limit}: the cart summary is shortened`);
    box.replaceChildren(
      h("p", { class: "bubble" }, preview.body),
      h("p", { class: "segments subdued", "data-testid": `segments-${language}` },
        `${parts} (${preview.encoding}, ${R.count(preview.units)} characters)`, limit));
  }

  // -- dirty state, save and discard --------------------------------------------------------------
  function collect() {
    const values = {};
    for (const [name, control] of Object.entries(controls)) values[name] = control.read();
    return values;
  }

  function write(values) {
    for (const [name, control] of Object.entries(controls)) control.write(values[name]);
  }

  function changes() {
    const current = collect();
    const changed = {};
    for (const [name, value] of Object.entries(current)) {
      if (!same(value, saved[name])) changed[name] = value;
    }
    return changed;
  }

  function same(a, b) {
    return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
  }

  function normal(value) {
    if (Array.isArray(value)) return value.map(normal);
    if (value && typeof value === "object") {
      const keys = Object.keys(value).sort().filter((key) => value[key] != null);
      return Object.fromEntries(keys.map((key) => [key, normal(value[key])]));
    }
    return value === undefined ? null : value;
  }

  function refreshSaveBar() {
    if (!saved || !window.shopify || !window.shopify.saveBar) return;
    const dirty = Object.keys(changes()).length > 0;
    if (dirty) window.shopify.saveBar.show(SAVE_BAR);
    else window.shopify.saveBar.hide(SAVE_BAR);
  }

  function clearErrors() {
    for (const control of Object.values(controls)) control.error("");
    document.getElementById("settings-errors")?.replaceChildren();
  }

  async function save() {
    if (saving || !saved) return;
    const changed = changes();
    if (!Object.keys(changed).length) return refreshSaveBar();
    saving = true;
    saveButton.setAttribute("loading", "");
    discardButton.setAttribute("disabled", "");
    try {
      saved = await R.api("/api/settings", { method: "PUT", json: changed });
      clearErrors();
      write(saved);
      window.shopify.saveBar.hide(SAVE_BAR);
      R.toast("Settings saved");
    } catch (error) {
      showErrors(error);
    } finally {
      saving = false;
      saveButton.removeAttribute("loading");
      discardButton.removeAttribute("disabled");
    }
  }

  function showErrors(error) {
    clearErrors();
    const errors = error.errors || {};
    const names = Object.keys(errors).filter((name) => controls[name]);
    for (const name of names) controls[name].error(sentence(errors[name]));
    const others = Object.keys(errors).filter((name) => !controls[name]);
    const summary = names.length
      ? `${names.length} setting${names.length === 1 ? " needs" : "s need"} attention. Nothing was saved.`
      : R.describe(error);
    document.getElementById("settings-errors").replaceChildren(
      h("s-banner", { tone: "critical", heading: "The settings were not saved", "data-testid": "save-error" },
        h("p", {}, summary),
        others.length ? h("ul", {}, others.map((name) => h("li", {}, `${name}: ${errors[name]}`))) : null,
        names.length ? h("ul", { class: "error-links" }, names.map((name) => h("li", {},
          h("s-button", { variant: "tertiary", onclick: () => controls[name].focus() },
            LABELS[name] || R.humanize(name))))) : null));
    if (names.length) controls[names[0]].focus();
  }

  /** The API's "must be between 5 and 1440" as the merchant reads it: "Must be between 5 and 1440". */
  function sentence(message) {
    return String(message).replace(/(^|; )([a-z]{2}: )?([a-z])/g, (all, lead, language, first) =>
      lead + (language || "") + first.toUpperCase());
  }

  function discard() {
    if (!saved) return;
    clearErrors();
    write(saved);
    for (const [language] of Object.entries(LANGUAGES)) {
      const input = document.getElementById(`setting-sms_templates-${language}`);
      if (input) schedulePreview(language, input);
    }
    window.shopify.saveBar.hide(SAVE_BAR);
  }

  saveButton.addEventListener("click", save);
  discardButton.addEventListener("click", discard);
  region.addEventListener("input", refreshSaveBar);
  region.addEventListener("change", refreshSaveBar);
  R.polarisReady(["s-switch", "s-select", "s-number-field", "s-text-field", "s-text-area"]).then(load);
})();
