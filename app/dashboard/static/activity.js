// Activity: checkouts with their status and next planned contact (filtered, paged), recent calls and texts.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const PER_PAGE = 10;
  const RECENT = 5;
  const SANDBOX_REFRESH_MS = 15000;
  const region = document.getElementById("checkouts");
  const recent = document.getElementById("recent");
  const filters = document.getElementById("filters");
  const fields = {
    status: document.getElementById("filter-status"),
    channel: document.getElementById("filter-channel"),
    q: document.getElementById("filter-q"),
  };
  // Cursors of the pages before this one ("Previous" goes back to them), and of this one.
  let history = [];
  let cursor = "1";
  let run = 0;

  function query() {
    const params = new URLSearchParams({ per_page: String(PER_PAGE), page: cursor });
    for (const [name, field] of Object.entries(fields)) {
      const value = (field.value || "").trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  async function loadCheckouts() {
    const mine = ++run;
    R.busy(region);
    let page;
    try {
      page = await R.api(`/api/checkouts?${query()}`);
    } catch (error) {
      if (mine !== run) return;
      for (const [name, message] of Object.entries(error.errors || {})) {
        if (fields[name]) R.setError(fields[name], R.capitalize(message));
      }
      R.fill(region, R.errorState(`Checkouts could not be loaded: ${R.describe(error)}`, loadCheckouts));
      return;
    }
    if (mine !== run) return;
    for (const field of Object.values(fields)) R.setError(field, "");
    R.fill(region, checkoutTable(page.items), pager(page.next_page));
  }

  function checkoutTable(items) {
    if (!items.length) {
      const filtered = Object.values(fields).some((field) => (field.value || "").trim());
      return R.emptyState(filtered ? "No checkouts match these filters."
        : "No abandoned checkouts yet. They appear here as soon as Shopify reports one.");
    }
    return h("div", { class: "table-wrap" }, h("table", { class: "data rows-link stack" },
      h("caption", { class: "visually-hidden" }, "Checkouts, newest first"),
      h("thead", {}, h("tr", {},
        ["Checkout", "Started", "Total", "Status", "Consent", "Next contact", "Last outcome"]
          .map((name) => h("th", { scope: "col", class: name === "Total" ? "num" : null }, name)))),
      h("tbody", {}, items.map(checkoutRow))));
  }

  function checkoutRow(item) {
    const href = R.pageUrl(`/checkouts/${encodeURIComponent(item.token)}`);
    const status = h("td", { "data-label": "Status" }, R.badge(R.STATUSES, item.status),
      item.reason ? h("span", { class: "subdued reason" }, ` ${R.REASONS[item.reason] || R.humanize(item.reason)}`)
        : null);
    const consent = item.consent.length ? item.consent.map((c) => R.CHANNELS[c] || c).join(" · ") : "None";
    const next = item.next_contact_at
      ? h("td", { "data-label": "Next" }, h("time", { datetime: item.next_contact_at, title: R.dateTime(item.next_contact_at) },
        `${R.CHANNELS[item.next_contact_channel] || "Contact"} ${R.relative(item.next_contact_at)}`))
      : h("td", { class: "subdued", "data-label": "Next", "data-empty": "" }, "—");
    const row = h("tr", { dataset: { token: item.token } },
      h("th", { scope: "row" }, h("s-link", { href }, `…${item.token.slice(-8)}`),
        item.holdout ? h("s-badge", { tone: "neutral" }, "Holdout") : null),
      h("td", { "data-label": "Started" }, R.dateTime(item.created_at)),
      h("td", { class: "num", "data-label": "Total" }, R.money(item.total_price, item.currency)),
      status, h("td", { "data-label": "Consent" }, consent), next,
      h("td", { "data-label": "Last outcome", "data-empty": item.last_outcome ? null : "" },
        item.last_outcome ? R.label(R.OUTCOMES, item.last_outcome) : "—"));
    // The whole row opens the checkout; the link stays the keyboard's and screen reader's way in.
    row.addEventListener("click", (event) => {
      if (!event.target.closest("s-link, a")) window.location.assign(href);
    });
    return row;
  }

  function pager(next) {
    const previous = h("s-button", { variant: "secondary", disabled: !history.length, accessibilityLabel:
      "Previous page of checkouts" }, "Previous");
    const following = h("s-button", { variant: "secondary", disabled: !next, accessibilityLabel:
      "Next page of checkouts" }, "Next");
    previous.addEventListener("click", () => {
      if (!history.length) return;
      cursor = history.pop();
      loadCheckouts();
    });
    following.addEventListener("click", () => {
      if (!next) return;
      history.push(cursor);
      cursor = next;
      loadCheckouts();
    });
    return h("nav", { class: "pager", "aria-label": "Checkout pages" }, previous, following);
  }

  function filterKey() {
    return JSON.stringify(Object.values(fields).map((field) => (field.value || "").trim()));
  }

  let shownFilters = null;
  function restart() {
    const key = filterKey();
    if (key === shownFilters) return;  // typing, then leaving the field: one search, not two
    shownFilters = key;
    history = [];
    cursor = "1";
    loadCheckouts();
  }

  // -- recent calls and texts -------------------------------------------------------------------
  async function loadRecent() {
    const [calls, texts] = await Promise.allSettled([
      R.api(`/api/calls?per_page=${RECENT}`), R.api(`/api/messages?per_page=${RECENT}`),
    ]);
    R.fill(recent,
      h("s-section", { heading: "Recent calls", "data-testid": "calls" },
        calls.status === "fulfilled" ? callList(calls.value.items)
          : R.errorState(`Calls could not be loaded: ${R.describe(calls.reason)}`, loadRecent)),
      h("s-section", { heading: "Recent texts", "data-testid": "texts" },
        texts.status === "fulfilled" ? textList(texts.value.items)
          : R.errorState(`Texts could not be loaded: ${R.describe(texts.reason)}`, loadRecent)));
  }

  function callList(calls) {
    if (!calls.length) return R.emptyState("No calls yet.");
    return h("ul", { class: "list" }, calls.map((call) => h("li", {},
      h("s-link", { href: R.pageUrl(`/calls/${call.id}`) }, R.dateTime(call.created_at)),
      call.outcome ? R.badge(R.OUTCOMES, call.outcome) : h("s-badge", { tone: "info" }, R.humanize(call.status)),
      h("span", { class: "subdued" }, R.duration(call.duration_seconds)))));
  }

  function textList(texts) {
    if (!texts.length) return R.emptyState("No texts yet.");
    return h("ul", { class: "list" }, texts.map((text) => h("li", {},
      text.checkout_token
        ? h("s-link", { href: R.pageUrl(`/checkouts/${encodeURIComponent(text.checkout_token)}#texts`) },
          R.dateTime(text.created_at))
        : h("span", {}, R.dateTime(text.created_at)),
      textBadge(text),
      h("span", { class: "ellipsis", title: text.body }, text.body))));
  }

  function textBadge(text) {
    const inbound = text.direction === "inbound";
    const tone = text.flagged ? "critical" : inbound ? "info" : "neutral";
    const words = inbound ? "Received" : text.error_code ? `Error ${text.error_code}` : R.humanize(text.status);
    return h("s-badge", { tone }, words);
  }

  let typing = null;
  R.polarisReady(["s-select", "s-text-field"]).then(() => {
    filters.addEventListener("change", restart);
    filters.addEventListener("input", (event) => {
      if (event.target !== fields.q) return;
      clearTimeout(typing);
      typing = setTimeout(restart, 300);
    });
    filters.addEventListener("submit", (event) => { event.preventDefault(); restart(); });
    shownFilters = filterKey();
    loadCheckouts();
    loadRecent();
    // In the sandbox a newcomer watches simulated calls arrive: refresh what is on screen now and then.
    if (document.body.classList.contains("sandbox")) {
      setInterval(() => {
        if (document.hidden) return;
        if (cursor === "1") loadCheckouts();
        loadRecent();
      }, SANDBOX_REFRESH_MS);
    }
  });
})();
