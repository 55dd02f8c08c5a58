// Compliance: customers' data requests (with their exports and a banner for a new one), the consent ledger
// (searchable, exportable as CSV), the do-not-contact list and restrictions of processing.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("compliance");
  const PER_PAGE = 10;
  // The newest data request the merchant has opened, per shop: newer ones get the banner.
  const SEEN_KEY = `ringback.dataRequests.seen.${R.shop.domain}`;
  const SOURCES = { checkout_extension: "Checkout block", cart_block: "Cart-page block",
                    shopify_sms_marketing: "Shopify SMS marketing" };
  const SUPPRESSION_REASONS = { stop_keyword: "Texted STOP", verbal_opt_out: "Asked on a call",
                                merchant: "Added by you", revoked_consent: "Took consent back",
                                carrier_unsubscribed: "Unsubscribed at the carrier" };

  function seen() { return Number(window.localStorage.getItem(SEEN_KEY) || 0); }
  function markSeen(id) { if (id > seen()) window.localStorage.setItem(SEEN_KEY, String(id)); }

  /** A table over a paged list endpoint (`?page=N`), with Previous / Next; `refresh(params)` reloads it. */
  function pagedTable({ path, caption, columns, row, empty, testid, params = {} }) {
    const box = h("div", { class: "paged-table", "data-testid": testid });
    let page = 1;
    let filters = params;
    async function show() {
      R.busy(box);
      const query = new URLSearchParams({ ...filters, page: String(page), per_page: String(PER_PAGE) });
      let data;
      try {
        data = await R.api(`${path}?${query}`);
      } catch (error) {
        R.fill(box, R.errorState(`${caption} could not be loaded: ${R.describe(error)}`, show));
        return error;
      }
      const previous = h("s-button", { disabled: page === 1, accessibilityLabel: `Previous page: ${caption}` },
        "Previous");
      const next = h("s-button", { disabled: !data.next_page, accessibilityLabel: `Next page: ${caption}` }, "Next");
      previous.addEventListener("click", () => { if (page > 1) { page -= 1; show(); } });
      next.addEventListener("click", () => { if (data.next_page) { page = data.next_page; show(); } });
      R.fill(box, data.items.length ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" },
          name || h("span", { class: "visually-hidden" }, "Actions"))))),
        h("tbody", {}, data.items.map(row)))) : R.emptyState(empty),
        data.items.length && (page > 1 || data.next_page)
          ? h("nav", { class: "pager", "aria-label": `${caption} pages` }, previous, next) : null);
      return data;
    }
    return {
      node: box, show,
      refresh: (next) => { filters = next; page = 1; return show(); },
    };
  }

  // -- data requests --------------------------------------------------------------------------------
  function dataRequests() {
    return pagedTable({
      path: "/api/data-requests", caption: "Data requests", testid: "data-requests",
      columns: ["Received", "Shopify request", "Records", "Status", "Available until", ""],
      empty: "No customer has asked for their data.",
      row: (item) => h("tr", { dataset: { id: item.id } },
        h("td", {}, R.dateTime(item.created_at)), h("td", {}, item.shopify_request_id || "—"),
        h("td", {}, R.count(item.record_count)),
        h("td", {}, item.status === "ready" ? h("s-badge", { tone: "success" }, "Ready")
          : h("s-badge", { tone: "neutral" }, "Erased since")),
        h("td", {}, R.dateTime(item.expires_at)),
        h("td", {}, item.status === "ready" ? downloadButton(item) : "")),
    });
  }

  function downloadButton(item) {
    const button = h("s-button", { accessibilityLabel: `Download the export of request ${item.id}` }, "Download");
    button.addEventListener("click", () => openRequest(item, button));
    return button;
  }

  async function openRequest(item, button) {
    button.setAttribute("loading", "");
    try {
      await R.download(item.download_url, `data-request-${item.id}.json`);
      markSeen(item.id);
      document.querySelector("[data-testid=new-data-request]")?.remove();
    } catch (error) {
      R.toast(`The export could not be downloaded: ${R.describe(error)}`, true);
    } finally {
      button.removeAttribute("loading");
    }
  }

  function newRequestBanner(latest) {
    const banner = h("s-banner", { tone: "warning", heading: "A customer asked for their data", dismissible: true,
                                   "data-testid": "new-data-request" },
      h("p", {}, `Shopify sent a data request on ${R.dateTime(latest.created_at)}. Ringback compiled `
        + `${R.count(latest.record_count)} records; send them to the customer within 30 days.`),
      latest.status === "ready" ? downloadButton(latest) : null);
    banner.addEventListener("dismiss", () => markSeen(latest.id));
    return banner;
  }

  // -- consent ledger ---------------------------------------------------------------------------------
  function consents() {
    return pagedTable({
      path: "/api/consents", caption: "Consent ledger", testid: "consents",
      columns: ["Recorded", "Phone", "Channels", "Answer", "Source", "Wording", "Checkout"],
      empty: "No consent recorded yet.",
      row: (item) => h("tr", {},
        h("td", {}, R.dateTime(item.consented_at)), h("td", { class: "nowrap" }, item.phone || "—"),
        h("td", {}, item.channels.map((c) => R.CHANNELS[c] || c).join(" · ")),
        h("td", {}, item.malformed_reason ? h("s-badge", { tone: "warning" }, "Unusable")
          : item.granted ? h("s-badge", { tone: "success" }, "Yes") : h("s-badge", { tone: "neutral" }, "No")),
        h("td", {}, SOURCES[item.source] || R.humanize(item.source)),
        h("td", { class: "ellipsis", title: item.wording || "" }, item.wording || "—"),
        h("td", {}, item.checkout_token
          ? h("s-link", { href: R.pageUrl(`/checkouts/${encodeURIComponent(item.checkout_token)}`) },
            `…${item.checkout_token.slice(-8)}`) : "—")),
    });
  }

  function ledgerSection(table) {
    const search = h("s-search-field", { label: "Search by phone or checkout token", id: "consent-search",
                                         placeholder: "+14155550123 or a token", autocomplete: "off" });
    const exportButton = h("s-button", { id: "consent-export", icon: "export" }, "Export CSV");
    let filters = {};
    let searched = "";
    const apply = async () => {
      const value = String(search.value || "").trim();
      if (value === searched) return;
      searched = value;
      filters = !value ? {} : /^[+(\d][\d\s().-]*$/.test(value) ? { phone: value } : { checkout: value };
      R.setError(search, "");
      const result = await table.refresh(filters);
      if (result instanceof R.ApiError) {
        R.setError(search, R.capitalize(Object.values(result.errors)[0]) || R.describe(result));
      }
    };
    let typing = null;
    search.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(apply, 400); });
    search.addEventListener("change", () => { clearTimeout(typing); apply(); });
    exportButton.addEventListener("click", async () => {
      exportButton.setAttribute("loading", "");
      try {
        await R.download(`/api/consents.csv?${new URLSearchParams(filters)}`, `ringback-consents-${R.shop.handle}.csv`);
      } catch (error) {
        R.toast(`The export failed: ${R.describe(error)}`, true);
      } finally {
        exportButton.removeAttribute("loading");
      }
    });
    return h("s-section", { heading: "Consent ledger", "data-testid": "ledger" },
      h("p", { class: "group-description" }, "Every consent statement as received, with its exact wording and "
        + "time. Never edited: a later \u201cno\u201d is a new row that wins."),
      h("div", { class: "toolbar" }, search, exportButton), table.node);
  }

  // -- opt-outs and restrictions ----------------------------------------------------------------------
  function suppressions() {
    return pagedTable({
      path: "/api/suppressions", caption: "Opt-outs", testid: "suppressions",
      columns: ["Since", "Phone", "Channel", "Why", "Applies"],
      empty: "Nobody has opted out.",
      row: (item) => h("tr", {},
        h("td", {}, R.dateTime(item.created_at)), h("td", { class: "nowrap" }, item.phone || "Erased (hash kept)"),
        h("td", {}, item.channel === "all" ? "Calls and texts" : R.CHANNELS[item.channel] || item.channel),
        h("td", {}, SUPPRESSION_REASONS[item.reason] || R.humanize(item.reason)),
        h("td", {}, item.scope === "sender" ? "Every store on this sender" : "This store")),
    });
  }

  function restrictions() {
    const table = pagedTable({
      path: "/api/restrictions", caption: "Restrictions", testid: "restrictions",
      columns: ["Since", "Named by", "State", ""],
      empty: "No customer's processing is restricted.",
      row: (item) => h("tr", {},
        h("td", {}, R.dateTime(item.created_at)),
        h("td", {}, [item.by_customer_id && "Customer id", item.by_email && "E-mail", item.by_phone && "Phone"]
          .filter(Boolean).join(", ")),
        h("td", {}, item.lifted_at ? `Lifted ${R.dateTime(item.lifted_at)}` : h("s-badge", { tone: "warning" },
          "Restricted")),
        h("td", {}, item.lifted_at ? "" : liftButton(item, table))),
    });
    return table;
  }

  function liftButton(item, table) {
    const button = h("s-button", { variant: "tertiary", accessibilityLabel: `Lift restriction ${item.id}` }, "Lift");
    button.addEventListener("click", async () => {
      button.setAttribute("loading", "");
      try {
        await R.api(`/api/restrictions/${item.id}`, { method: "DELETE" });
        R.toast("Restriction lifted: processing resumes");
        table.show();
      } catch (error) {
        R.toast(`The restriction could not be lifted: ${R.describe(error)}`, true);
        button.removeAttribute("loading");
      }
    });
    return button;
  }

  function restrictForm(table) {
    const email = h("s-email-field", { label: "Customer e-mail", id: "restrict-email", autocomplete: "off" });
    const phone = h("s-text-field", { label: "or phone", id: "restrict-phone", autocomplete: "off",
                                      placeholder: "+14155550123" });
    const submit = h("s-button", { id: "restrict-submit" }, "Restrict processing");
    submit.addEventListener("click", async () => {
      const body = {};
      if (String(email.value || "").trim()) body.email = String(email.value).trim();
      if (String(phone.value || "").trim()) body.phone = String(phone.value).trim();
      R.setError(email, "");
      R.setError(phone, "");
      submit.setAttribute("loading", "");
      try {
        await R.api("/api/restrictions", { method: "POST", json: body });
        email.value = "";
        phone.value = "";
        R.toast("Processing restricted for this customer");
        table.refresh({});
      } catch (error) {
        const errors = error.errors || {};
        R.setError(email, errors.email || (errors.customer_id && !body.phone ? errors.customer_id : ""));
        R.setError(phone, errors.phone || "");
        if (!Object.keys(errors).length) R.toast(R.describe(error), true);
      } finally {
        submit.removeAttribute("loading");
      }
    });
    return h("div", { class: "toolbar restrict" }, email, phone, submit);
  }

  // -- the page -------------------------------------------------------------------------------------
  async function load() {
    const requests = dataRequests();
    const ledger = consents();
    const optOuts = suppressions();
    const restricted = restrictions();
    const [latest] = await Promise.all([requests.show(), ledger.show(), optOuts.show(), restricted.show()]);
    const newest = latest && latest.items && latest.items[0];
    R.fill(region,
      newest && newest.id > seen() ? newRequestBanner(newest) : null,
      h("s-section", { heading: "Customer data requests", "data-testid": "requests" },
        h("p", { class: "group-description" }, "When a customer asks the store for their data, Shopify tells "
          + "Ringback, which compiles everything it holds about them here for you to send on. Requests to erase "
          + "a customer are carried out automatically."),
        requests.node),
      ledgerSection(ledger),
      h("s-section", { heading: "Opt-outs", "data-testid": "opt-outs" },
        h("p", { class: "group-description" }, "Numbers Ringback never calls or texts, whatever consent says."),
        optOuts.node),
      h("s-section", { heading: "Restricted processing", "data-testid": "restricted" },
        h("p", { class: "group-description" }, "A customer who objects to processing: no contact, no processing, "
          + "their data kept as it is until you lift it or they are erased."),
        restrictForm(restricted), restricted.node));
  }

  function wirePrivacy() {
    const box = document.getElementById("privacy");
    if (!box) return;
    const status = document.getElementById("privacy-status");
    for (const button of box.querySelectorAll("s-button[data-action]")) {
      button.addEventListener("click", async () => {
        status.textContent = "Sending Shopify's request…";
        status.className = "status-line";
        const response = await fetch("/sandbox/privacy", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ action: button.dataset.action }),
        });
        const answer = await response.json().catch(() => ({}));
        status.textContent = response.ok ? `Sent ${answer.topic}; the page refreshes in a moment.`
          : (answer.message || answer.error);
        if (!response.ok) status.className = "status-line critical";
        else setTimeout(load, 2500);
      });
    }
  }

  R.polarisReady(["s-search-field", "s-button"]).then(() => {
    wirePrivacy();
    load();
  });
})();
