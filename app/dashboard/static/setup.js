// Setup guide: each step as the app found it (GET /api/setup), with where to go to do it.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("setup");

  async function load() {
    R.busy(region);
    let setup;
    try {
      setup = await R.api("/api/setup");
    } catch (error) {
      R.fill(region, R.errorState(`The setup steps could not be checked: ${R.describe(error)}`, load));
      return;
    }
    const done = setup.steps.filter((step) => step.done).length;
    const check = h("s-button", { variant: "secondary" }, "Check again");
    check.addEventListener("click", load);
    R.fill(region,
      setup.complete
        ? h("s-banner", { tone: "success", heading: "Ringback is set up" },
          h("p", {}, "Every step is done: abandoned checkouts with consent are now called and texted."))
        : h("p", { class: "progress", "data-testid": "setup-progress" }, `${done} of ${setup.steps.length} done`),
      h("ol", { class: "steps" }, setup.steps.map((step, index) => h("li", { dataset: { step: step.id } },
        h("s-section", { heading: `${index + 1}. ${step.title}` },
          h("p", {}, h("s-badge", { tone: step.done ? "success" : "caution" }, step.done ? "Done" : "To do")),
          h("p", {}, step.detail),
          step.links.length ? h("div", { class: "actions" }, step.links.map((link) =>
            h("s-button", { href: link.url, target: target(link.url) }, link.label))) : null)))),
      h("div", { class: "actions" }, check));
  }

  /** Shopify admin opens in the admin's own window (out of the app's frame); anything else in a new one. */
  function target(url) {
    return url.includes("admin.shopify.com") || url.includes("/admin/") ? "_top" : "_blank";
  }

  load();
})();
