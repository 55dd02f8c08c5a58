// Shared by every admin page. Data comes from the app's own /api/ (App Bridge, or the sandbox's
// stand-in, adds the Bearer ID token to each fetch); text is formatted with Intl for the shop.
(function () {
  "use strict";

  const body = document.body;
  const shop = {
    domain: body.dataset.shopDomain,
    handle: body.dataset.shopHandle,
    currency: body.dataset.currency || "USD",
    timezone: body.dataset.timezone || "UTC",
  };
  const locale = document.documentElement.lang || navigator.language || "en";

  class ApiError extends Error {
    constructor(status, payload) {
      super((payload && (payload.message || payload.error)) || `The server answered ${status}.`);
      this.status = status;
      this.errors = (payload && payload.errors) || {};
    }
  }

  async function request(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    let payload;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(options.json);
    }
    let response;
    try {
      response = await fetch(path, { method: options.method || "GET", headers, body: payload });
    } catch (error) {
      throw new ApiError(0, { message: "Ringback could not be reached. Check your connection and try again." });
    }
    return response;
  }

  /** GET (or another method with `json`) an /api/ path; rejects with ApiError on a non-2xx answer. */
  async function api(path, options) {
    const response = await request(path, options);
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** Fetch a file the API serves (with the token), then hand it to the browser as a download. */
  async function download(path, filename) {
    const response = await request(path, { headers: { Accept: "*/*" } });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /** An element: `h("td", {class: "x"}, "text", child)`; attributes that are false or null are left out. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // -- formatting (Intl, in the shop's currency and time zone) ---------------------------------------
  const moneyFormats = new Map();
  function money(amount, currency) {
    const code = currency || shop.currency;
    if (!moneyFormats.has(code)) {
      moneyFormats.set(code, new Intl.NumberFormat(locale, { style: "currency", currency: code }));
    }
    return amount == null || amount === "" ? "—" : moneyFormats.get(code).format(Number(amount));
  }

  function compactMoney(amount, currency) {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency || shop.currency,
                                           notation: "compact", maximumFractionDigits: 1 }).format(amount);
  }

  const integerFormat = new Intl.NumberFormat(locale);
  function count(value) { return value == null ? "—" : integerFormat.format(value); }

  const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  function percent(fraction) {
    return fraction == null || Number.isNaN(fraction) ? "—" : percentFormat.format(fraction);
  }

  const pointsFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  function points(value) { return value == null ? "—" : pointsFormat.format(value); }

  function dateTime(iso, timezone) {
    if (!iso) return "—";
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short",
                                             timeZone: timezone || shop.timezone }).format(new Date(iso));
  }

  function time(iso, timezone) {
    if (!iso) return "";
    return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: timezone || shop.timezone })
      .format(new Date(iso));
  }

  /** A calendar date ("2026-03-01") as the merchant reads it; never shifted by a time zone. */
  function day(isoDate, options) {
    const [year, month, date] = isoDate.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC", ...(options || {}) })
      .format(new Date(Date.UTC(year, month - 1, date)));
  }

  /** Today's date in the shop's time zone, as YYYY-MM-DD, moved by `offsetDays`. */
  function shopToday(offsetDays = 0) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: shop.timezone, year: "numeric", month: "2-digit",
                                                     day: "2-digit" }).format(new Date());
    const [year, month, date] = parts.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, date + offsetDays)).toISOString().slice(0, 10);
  }

  const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  function relative(iso) {
    if (!iso) return "";
    const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
    }
    return relativeFormat.format(Math.round(seconds / 60), "minute");
  }

  function duration(seconds) {
    if (seconds == null) return "—";
    const minutes = Math.floor(seconds / 60);
    return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  }

  // -- the words the merchant sees for the engine's values ------------------------------------------
  const OUTCOMES = {
    link_sent: ["Link texted", "success"], discount_sent: ["Discount texted", "success"],
    callback_scheduled: ["Callback booked", "info"], opted_out: ["Opted out", "warning"],
    transferred: ["Transferred", "info"], already_purchased: ["Already bought", "success"],
    wrong_number: ["Wrong number", "warning"], declined: ["Declined", "neutral"],
    voicemail: ["Voicemail", "neutral"], no_answer: ["No answer", "neutral"], busy: ["Busy", "neutral"],
    failed: ["Failed", "critical"], completed: ["Talked", "info"], no_response: ["No response", "neutral"],
    // How a text attempt ended.
    sent: ["Text sent", "info"], undelivered: ["Not delivered", "critical"], dispatch_failed: ["Not sent", "critical"],
  };
  // A checkout's status (GET /api/checkouts), and why one was not contacted.
  const STATUSES = {
    recovered: ["Recovered", "success"], completed: ["Ordered", "info"], erased: ["Erased", "neutral"],
    scheduled: ["Contact planned", "caution"], contacted: ["Contacted", "info"],
    not_contacted: ["Not contacted", "neutral"],
  };
  const REASONS = {
    no_consent: "No consent", holdout: "Holdout group", opted_out: "Opted out", suppressed: "Opted out",
    newer_checkout: "A newer checkout", restricted: "Processing restricted", outside_window: "Outside hours",
    no_phone: "No phone number", no_sender: "No sender set up", max_attempts: "All attempts made",
  };
  // A planned or made contact (a checkout's attempts).
  const ATTEMPTS = {
    scheduled: ["Planned", "caution"], dispatched: ["Under way", "info"], completed: ["Done", "success"],
    awaiting_channel: ["Waiting for channel", "warning"], withheld: ["Withheld (holdout)", "neutral"],
    skipped: ["Skipped", "neutral"], canceled: ["Canceled", "neutral"],
  };
  const CHANNELS = { call: "Call", sms: "Text", link: "Link click" };
  const OBJECTIONS = { price: "Price", shipping: "Shipping cost", timing: "Timing", trust: "Trust",
                       product: "Product question", payment: "Payment", other: "Other" };

  function humanize(value) {
    if (!value) return "—";
    const text = String(value).replace(/[_-]+/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** An API message ("must be …") as a sentence ("Must be …"). */
  function capitalize(message) {
    const text = String(message || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function label(table, value) { return (table[value] && table[value][0]) || humanize(value); }

  function badge(table, value) {
    const [text, tone] = table[value] || [humanize(value), "neutral"];
    return h("s-badge", { tone }, text);
  }

  // -- page states --------------------------------------------------------------------------------
  /** A contextual, red error where the data should have been, with a way to try again. */
  function errorState(message, retry) {
    return h("div", { class: "error-state", role: "alert" },
      h("s-text", { tone: "critical" }, message),
      retry ? h("s-button", { variant: "tertiary", onclick: retry }, "Try again") : null);
  }

  function emptyState(message) {
    return h("p", { class: "empty-state" }, message);
  }

  function describe(error) {
    if (error && error.status === 404) return "This is not available yet.";
    if (error && error.status === 401) return "Your session expired. Reload the page.";
    return (error && error.message) || "Something went wrong.";
  }

  /** Swap a region's content in one go (no step-by-step growth, so nothing below it jumps). */
  function fill(region, ...children) {
    region.replaceChildren(...children.flat(Infinity).filter((child) => child != null && child !== false));
    region.removeAttribute("aria-busy");
    region.classList.remove("loading");
  }

  function busy(region) {
    region.setAttribute("aria-busy", "true");
    region.classList.add("loading");
  }

  /** A link to another admin page that keeps Shopify's query (shop, host), never the ID token. */
  function pageUrl(path) {
    const current = new URLSearchParams(window.location.search);
    const kept = new URLSearchParams();
    for (const name of ["shop", "host", "embedded", "locale"]) {
      if (current.has(name)) kept.set(name, current.get(name));
    }
    const query = kept.toString();
    return query ? `${path}?${query}` : path;
  }

  /** Setting a field's error in a way that works before and after Polaris has upgraded it. */
  function setError(field, message) {
    if (message) field.setAttribute("error", message);
    else field.removeAttribute("error");
  }

  /** Resolves once the Polaris elements a page builds are defined (or after a moment, regardless). */
  function polarisReady(tags) {
    const defined = Promise.all(tags.map((tag) => customElements.whenDefined(tag)));
    return Promise.race([defined, new Promise((resolve) => setTimeout(resolve, 3000))]);
  }

  function toast(message, isError) {
    if (window.shopify && window.shopify.toast) window.shopify.toast.show(message, { isError: !!isError });
  }

  /** Bubbles of a conversation: the store (assistant) left, the shopper right, in the order given. */
  function conversation(turns, who) {
    return h("ol", { class: "conversation" }, turns.map((turn) => {
      const side = who(turn);
      return h("li", { class: `turn ${side.side}`, dataset: { role: side.role } },
        h("span", { class: "who" }, side.name,
          turn.at ? h("time", { datetime: turn.at }, ` · ${time(turn.at)}`) : null),
        h("span", { class: "said" }, turn.text),
        side.extra || null);
    }));
  }

  window.Ringback = {
    shop, api, ApiError, download, h, money, compactMoney, count, percent, points, dateTime, time, day, shopToday,
    relative, duration, OUTCOMES, STATUSES, REASONS, ATTEMPTS, CHANNELS, OBJECTIONS, humanize, capitalize,
    label, badge, errorState, emptyState, describe, fill, busy, pageUrl, setError, polarisReady, toast, conversation,
  };
})();
