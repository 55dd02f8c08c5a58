// One call: how it ended and why, the recording (fetched with the token, played from a blob), and
// the transcript as a conversation: the assistant on the left, the shopper on the right, in spoken order.
(function () {
  "use strict";
  const R = window.Ringback;
  const { h } = R;
  const region = document.getElementById("call");
  const id = region.dataset.callId;
  const LANGUAGES = { en: "English", es: "Spanish", fr: "French", de: "German" };
  const ANSWERED_BY = { human: "A person", unknown: "Unknown", fax: "A fax machine" };

  async function load() {
    R.busy(region);
    let call;
    try {
      call = await R.api(`/api/calls/${encodeURIComponent(id)}`);
    } catch (error) {
      const missing = error.status === 404;
      R.fill(region, R.errorState(missing ? "There is no such call in this store."
        : `The call could not be loaded: ${R.describe(error)}`, missing ? null : load));
      return;
    }
    const player = h("div", { class: "recording", "data-testid": "recording" });
    R.fill(region,
      h("s-section", { heading: `Call of ${R.dateTime(call.created_at)}`, "data-testid": "summary" }, facts(call)),
      h("s-section", { heading: "Recording" }, player),
      h("s-section", { heading: "Transcript" }, transcript(call.transcript)));
    recording(player, call);
  }

  function facts(call) {
    const rows = [
      ["Outcome", call.outcome ? R.badge(R.OUTCOMES, call.outcome) : h("s-badge", { tone: "info" }, "In progress")],
      ["Objection", call.objection ? (R.OBJECTIONS[call.objection] || R.humanize(call.objection)) : "None raised"],
      ["Status", R.humanize(call.status)],
      ["Answered by", call.answered_by ? (ANSWERED_BY[call.answered_by] || R.humanize(call.answered_by)) : "—"],
      ["Length", R.duration(call.duration_seconds)],
      ["Language", LANGUAGES[call.language] || call.language],
      ["Checkout", h("s-link", { href: R.pageUrl(`/checkouts/${encodeURIComponent(call.checkout_token)}`) },
                     `…${call.checkout_token.slice(-8)}`)],
    ];
    return h("dl", { class: "facts" }, rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
  }

  async function recording(box, call) {
    if (!call.recording) {
      box.replaceChildren(R.emptyState("No recording: recording was off, or nobody answered."));
      return;
    }
    // The player takes its place at once; its source follows once the audio is fetched with the token.
    const audio = h("audio", { controls: true, preload: "metadata", "aria-label": "Call recording" });
    const status = h("p", { class: "subdued" }, call.recording.duration_seconds != null
      ? `Recorded: ${R.duration(call.recording.duration_seconds)}` : "Recorded");
    box.replaceChildren(audio, status);
    try {
      const response = await fetch(call.recording.url, { headers: { Accept: "audio/*" } });
      if (!response.ok) throw new R.ApiError(response.status, await response.json().catch(() => null));
      audio.src = URL.createObjectURL(await response.blob());
    } catch (error) {
      box.replaceChildren(R.errorState(error.status === 404 ? "The recording is no longer available."
        : `The recording could not be loaded: ${R.describe(error)}`, () => recording(box, call)));
    }
  }

  function transcript(turns) {
    if (!turns.length) return R.emptyState("Nothing was said on this call (or it was erased).");
    const list = R.conversation(turns, (turn) => turn.role === "shopper"
      ? { side: "right", role: "shopper", name: "Shopper" }
      : { side: "left", role: "agent", name: "Assistant" });
    list.setAttribute("data-testid", "transcript");
    list.setAttribute("aria-label", "Transcript, in spoken order");
    return list;
  }

  load();
})();
