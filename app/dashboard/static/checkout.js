// One checkout: what Ringback planned and did about it, its calls, and its SMS thread.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("checkout");
  const token = region.dataset.token;
  const THREAD = 200;

  async function load() {
    R.busy(region);
    const [checkout, thread] = await Promise.allSettled([
      R.api(`/api/checkouts/${encodeURIComponent(token)}`),
      R.api(`/api/messages?checkout_token=${encodeURIComponent(token)}&per_page=${THREAD}`),
    ]);
    if (checkout.status === "rejected") {
      const missing = checkout.reason.status === 404;
      R.fill(region, R.errorState(missing ? "There is no such checkout in this store."
        : `The checkout could not be loaded: ${R.describe(checkout.reason)}`, missing ? null : load));
      return;
    }
    const item = checkout.value;
    R.fill(region,
      h("s-section", { heading: `Checkout …${token.slice(-8)}`, "data-testid": "summary" }, summary(item)),
      h("div", { class: "columns" },
        h("s-section", { heading: "Contacts", "data-testid": "attempts" }, attempts(item.attempts)),
        h("s-section", { heading: "Calls", "data-testid": "calls" }, calls(item.calls))),
      h("s-section", { heading: "Text messages", id: "texts", "data-testid": "thread" },
        thread.status === "fulfilled" ? texts(thread.value.items)
          : R.errorState(`The texts could not be loaded: ${R.describe(thread.reason)}`, load)));
    if (window.location.hash === "#texts") document.getElementById("texts").scrollIntoView();
  }

  function summary(item) {
    const facts = [
      ["Status", [R.badge(R.STATUSES, item.status),
                  item.reason ? ` ${R.REASONS[item.reason] || R.humanize(item.reason)}` : ""]],
      ["Total", R.money(item.total_price, item.currency)],
      ["Started", R.dateTime(item.created_at)],
      ["Last changed", R.dateTime(item.updated_at)],
      ["Consent", item.consent.length ? item.consent.map((c) => R.CHANNELS[c] || c).join(" · ") : "None"],
      ["Holdout", item.holdout ? "Yes: never contacted, to measure lift" : "No"],
      ["Next contact", item.next_contact_at
        ? `${R.CHANNELS[item.next_contact_channel] || "Contact"} ${R.relative(item.next_contact_at)} `
          + `(${R.dateTime(item.next_contact_at)})` : "None planned"],
      ["Ordered", item.completed_at ? R.dateTime(item.completed_at) : "Not yet"],
    ];
    return h("dl", { class: "facts" }, facts.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
  }

  function attempts(list) {
    if (!list.length) return R.emptyState("Nothing was planned for this checkout.");
    return h("ol", { class: "timeline" }, list.map((attempt) => h("li", {},
      h("div", { class: "timeline-head" },
        h("strong", {}, `${R.CHANNELS[attempt.channel] || attempt.channel} #${attempt.seq}`),
        R.badge(R.ATTEMPTS, attempt.status),
        attempt.outcome ? R.badge(R.OUTCOMES, attempt.outcome) : null),
      h("p", { class: "subdued" },
        attempt.dispatched_at ? `Made ${R.dateTime(attempt.dispatched_at)}`
          : `Planned for ${R.dateTime(attempt.scheduled_at)}`,
        attempt.reason ? ` · ${R.REASONS[attempt.reason] || R.humanize(attempt.reason)}` : ""))));
  }

  function calls(list) {
    if (!list.length) return R.emptyState("No calls for this checkout.");
    return h("ul", { class: "list" }, list.map((call) => h("li", {},
      h("s-link", { href: R.pageUrl(`/calls/${call.id}`) }, R.dateTime(call.created_at)),
      call.outcome ? R.badge(R.OUTCOMES, call.outcome) : h("s-badge", { tone: "info" }, R.humanize(call.status)))));
  }

  function texts(items) {
    if (!items.length) return R.emptyState("No texts were sent or received about this checkout.");
    const turns = items.map((message) => ({ ...message, text: message.body, at: message.created_at }));
    return R.conversation(turns, (message) => {
      const inbound = message.direction === "inbound";
      const parts = `${message.segments} segment${message.segments === 1 ? "" : "s"}`;
      let extra = null;
      if (message.error_code) {
        extra = h("span", { class: "delivery critical" }, `Not delivered (Twilio error ${message.error_code})`);
      } else if (!inbound) {
        extra = h("span", { class: "delivery subdued" }, `${R.humanize(message.status)} · ${parts}`);
      }
      return { side: inbound ? "right" : "left", role: inbound ? "shopper" : "store",
               name: inbound ? "Shopper" : "Ringback", extra };
    });
  }

  load();
})();
