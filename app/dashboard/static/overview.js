// Overview: the funnel, what was recovered, by which channel, the lift over the holdout, revenue over time.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("overview");
  const form = document.getElementById("range");
  const fromField = document.getElementById("range-from");
  const toField = document.getElementById("range-to");
  const DEFAULT_DAYS = 30;
  const CHART_HEIGHT = 240;
  const HALF_DAY = 12 * 3600;
  const FUNNEL = [
    ["abandoned", "Abandoned checkouts", "Every checkout left without an order."],
    ["consented", "Consented", "The shopper ticked the box to be called or texted."],
    ["contacted", "Contacted", "Ringback called or texted (holdout shoppers excluded)."],
    ["reached", "Reached", "A person answered the call or replied to the text."],
    ["recovered", "Recovered", "An order followed within the attribution window."],
  ];
  let chart = null;
  let loaded = 0;

  function range() {
    return { from: fromField.value, to: toField.value };
  }

  function initialRange() {
    const query = new URLSearchParams(window.location.search);
    const valid = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value || "");
    const to = valid(query.get("to")) ? query.get("to") : R.shopToday();
    const from = valid(query.get("from")) ? query.get("from") : R.shopToday(-(DEFAULT_DAYS - 1));
    fromField.value = from;
    toField.value = to;
  }

  function rememberRange({ from, to }) {
    const query = new URLSearchParams(window.location.search);
    query.set("from", from);
    query.set("to", to);
    query.delete("id_token");
    window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
  }

  function checkRange() {
    const { from, to } = range();
    R.setError(fromField, from ? "" : "Choose a start date.");
    R.setError(toField, !to ? "Choose an end date." : from && to < from ? "Must be on or after the start date." : "");
    return from && to && from <= to;
  }

  async function load() {
    if (!checkRange()) return;
    const { from, to } = range();
    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const run = ++loaded;
    R.busy(region);
    const [overview, revenue, setup] = await Promise.allSettled([
      R.api(`/api/overview?${query}`), R.api(`/api/revenue?${query}`), R.api("/api/setup"),
    ]);
    if (run !== loaded) return;  // a newer range was asked for meanwhile
    if (overview.status === "rejected" && overview.reason.status === 422) {
      // A range the API refuses (too long, inverted): said next to the dates; the figures stay.
      const errors = overview.reason.errors || {};
      R.setError(fromField, R.capitalize(errors.from));
      R.setError(toField, R.capitalize(errors.to));
      region.removeAttribute("aria-busy");
      region.classList.remove("loading");
      return;
    }
    if (overview.status === "rejected") {
      R.fill(region, R.errorState(`The overview could not be loaded: ${R.describe(overview.reason)}`, load));
      return;
    }
    rememberRange({ from, to });
    const data = overview.value;
    const currency = data.currency || R.shop.currency;
    const chartBox = h("div", { class: "chart", "data-testid": "revenue-chart" });
    R.fill(region,
      setup.status === "fulfilled" && !setup.value.complete ? setupBanner(setup.value) : null,
      kpis(data, currency),
      h("div", { class: "columns" },
        section("Lift over doing nothing", liftView(data.lift), "lift"),
        section("Revenue recovered over time",
                revenue.status === "fulfilled" ? chartBox
                  : R.errorState(`The revenue chart could not be loaded: ${R.describe(revenue.reason)}`, load),
                "revenue")),
      h("div", { class: "columns" },
        section("Funnel", funnel(data.funnel), "funnel"),
        section("Recovery rate by channel", channels(data.channels || []), "channels")));
    if (revenue.status === "fulfilled") drawChart(chartBox, revenue.value, currency, data.range || range());
  }

  function section(heading, content, id) {
    return h("s-section", { heading, "data-testid": id }, content);
  }

  function setupBanner(setup) {
    const left = setup.steps.filter((step) => !step.done);
    return h("s-banner", { tone: "info", heading: "Finish setting up Ringback", "data-testid": "setup-banner" },
      h("p", {}, `${left.length} of ${setup.steps.length} steps left before Ringback can recover checkouts.`),
      h("ul", { class: "checklist" }, setup.steps.map((step) =>
        h("li", { class: step.done ? "done" : "todo" },
          h("span", { class: "mark", "aria-hidden": "true" }, step.done ? "✓" : "○"),
          h("span", {}, step.title, h("span", { class: "visually-hidden" }, step.done ? " (done)" : " (to do)"))))),
      h("s-link", { href: R.pageUrl("/setup") }, "Open the setup guide"));
  }

  function kpis(data, currency) {
    const recovered = data.recovered || {};
    const lift = data.lift || {};
    const contacted = (lift.contacted && lift.contacted.rate != null) ? lift.contacted.rate
      : ratio(data.funnel.recovered, data.funnel.contacted);
    const liftValue = lift.enough_data && lift.points != null ? `${signed(lift.points)} pts` : "Not enough data";
    return h("div", { class: "kpis" },
      kpi("Recovered revenue", R.money(recovered.revenue ?? 0, currency), "revenue"),
      kpi("Recovered orders", R.count(recovered.orders ?? 0), "orders"),
      kpi("Recovery rate (contacted)", R.percent(contacted), "rate"),
      kpi("Lift vs holdout", liftValue, "lift-points"));
  }

  function kpi(label, value, id) {
    return h("div", { class: "kpi", "data-testid": `kpi-${id}` },
      h("span", { class: "kpi-label" }, label), h("span", { class: "kpi-value" }, value));
  }

  function ratio(part, whole) { return whole ? part / whole : null; }

  function signed(value) { return (value > 0 ? "+" : "") + R.points(value); }

  function liftView(lift) {
    if (!lift) return R.emptyState("No lift measured yet.");
    const arms = h("dl", { class: "arms" },
      arm("Contacted", lift.contacted), arm("Holdout (never contacted)", lift.holdout));
    if (!lift.enough_data) {
      return h("div", { class: "lift not-enough", "data-testid": "lift-reading" },
        h("p", { class: "lift-headline" }, "Not enough data yet"),
        h("p", {}, lift.reading || `The confidence interval means little below ${R.count(lift.min_sample)} checkouts `
          + "in each group. Keep the holdout on and check back."),
        arms);
    }
    return h("div", { class: "lift", "data-testid": "lift-reading" },
      h("p", { class: "lift-headline" }, `${signed(lift.points)} percentage points`),
      h("p", { class: "lift-ci" }, `95 % confidence interval ${R.points(lift.ci_low)} to ${R.points(lift.ci_high)}`),
      lift.reading ? h("p", {}, lift.reading) : null,
      arms);
  }

  function arm(name, group) {
    const value = group && group.checkouts
      ? `${R.percent(group.rate ?? ratio(group.recovered, group.checkouts))} · ${R.count(group.recovered)} of `
        + `${R.count(group.checkouts)} checkouts`
      : "no checkouts yet";
    return [h("dt", {}, name), h("dd", {}, value)];
  }

  function funnel(steps) {
    const top = Math.max(steps.abandoned || 0, 1);
    return h("ol", { class: "funnel" }, FUNNEL.map(([key, name, hint], index) => {
      const value = steps[key] || 0;
      const previous = index ? steps[FUNNEL[index - 1][0]] || 0 : null;
      return h("li", { dataset: { step: key } },
        h("div", { class: "funnel-label" }, h("span", { title: hint }, name),
          h("strong", {}, R.count(value)),
          previous != null ? h("span", { class: "subdued" }, previous ? R.percent(value / previous) : "—") : null),
        h("div", { class: "bar", "aria-hidden": "true" },
          h("span", { style: `width: ${Math.max(0.5, (100 * value) / top).toFixed(1)}%` })));
    }));
  }

  function channels(rows) {
    if (!rows.length) return R.emptyState("No calls or texts yet in this range.");
    // At phone width each channel becomes a card: its rate beside its name, the counts named below.
    const counted = (label, value) => h("td", { class: "num detail", "data-label": label }, R.count(value));
    return h("div", { class: "table-wrap" }, h("table", { class: "data stack" },
      h("thead", {}, h("tr", {}, ["Channel", "Contacted", "Reached", "Recovered", "Rate"].map((name, i) =>
        h("th", { scope: "col", class: i ? "num" : null }, name)))),
      h("tbody", {}, rows.map((row) => h("tr", {},
        h("th", { scope: "row" }, R.CHANNELS[row.channel] || R.humanize(row.channel)),
        counted("Contacted", row.contacted), counted("Reached", row.reached),
        counted("Recovered", row.recovered),
        h("td", { class: "num" }, R.percent(row.rate ?? ratio(row.recovered, row.contacted))))))));
  }

  // -- the revenue chart (uPlot, bundled: no network) ----------------------------------------------
  function drawChart(box, series, currency, period) {
    const byDate = new Map((series.points || []).map((point) => [point.date, point]));
    const xs = [];
    const revenue = [];
    const orders = [];
    for (let day = period.from; day <= period.to; day = nextDay(day)) {
      const point = byDate.get(day);
      xs.push(utcSeconds(day));
      revenue.push(point ? Number(point.revenue) : 0);
      orders.push(point ? point.orders : 0);
    }
    const total = revenue.reduce((sum, value) => sum + value, 0);
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", `Recovered revenue per day from ${R.day(period.from)} to ${R.day(period.to)}: `
      + `${R.money(total, currency)} in all, ${R.count(orders.reduce((a, b) => a + b, 0))} orders.`);
    if (typeof window.uPlot !== "function") {
      box.replaceChildren(R.errorState("The chart library did not load."));
      return;
    }
    if (chart) chart.destroy();
    const options = {
      width: Math.max(box.clientWidth, 200), height: CHART_HEIGHT,
      legend: { show: false }, cursor: { y: false },
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      // Half a day either side, so the first and last bars are whole.
      scales: { x: { time: true, range: (u, min, max) => [min - HALF_DAY, max + HALF_DAY] },
                y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      series: [{}, {
        label: "Revenue", stroke: "#1f5199", fill: "rgba(31, 81, 153, 0.35)", width: 1,
        paths: window.uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false },
      }],
      axes: [
        { stroke: "#616161", grid: { show: false }, ticks: { stroke: "#e3e3e3" } },
        { stroke: "#616161", size: 64, grid: { stroke: "#ebebeb" }, ticks: { show: false },
          values: (u, values) => values.map((value) => R.compactMoney(value, currency)) },
      ],
    };
    chart = new window.uPlot(options, [xs, revenue], box);
    if (!total) box.append(h("p", { class: "chart-empty" }, "No recovered revenue in this range yet."));
    new ResizeObserver(() => {
      if (chart && box.clientWidth) chart.setSize({ width: box.clientWidth, height: CHART_HEIGHT });
    }).observe(box);
  }

  function utcSeconds(isoDate) {
    const [year, month, date] = isoDate.split("-").map(Number);
    return Date.UTC(year, month - 1, date) / 1000;
  }

  function nextDay(isoDate) {
    const [year, month, date] = isoDate.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
  }

  // -- the sandbox's "Try a call" ------------------------------------------------------------------
  function wireSimulator() {
    const simulate = document.getElementById("simulate");
    if (!simulate) return;
    const status = document.getElementById("simulate-status");
    simulate.addEventListener("submit", async (event) => {
      event.preventDefault();
      const persona = document.getElementById("simulate-persona").value;
      const language = document.getElementById("simulate-language").value;
      status.textContent = "Sending the checkout…";
      status.className = "status-line";
      const response = await fetch("/sandbox/checkouts", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ persona, language }),
      });
      const answer = await response.json().catch(() => ({}));
      status.textContent = response.ok ? "Checkout abandoned; the call starts in a moment (see Activity)."
        : (answer.message || answer.error || "The sandbox refused the checkout.");
      if (!response.ok) status.className = "status-line critical";
      for (const delay of [4000, 10000, 20000]) setTimeout(load, delay);
    });
  }

  R.polarisReady(["s-date-field"]).then(() => {
    initialRange();
    form.addEventListener("change", load);
    form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
    wireSimulator();
    load();
  });
})();
