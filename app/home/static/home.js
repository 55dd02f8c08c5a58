// Calls the app's own API; App Bridge (or the sandbox stand-in) adds the Bearer ID token.
(function () {
  const OUTCOMES = {
    link_sent: "Link texted", discount_sent: "Discount texted", callback_scheduled: "Callback booked",
    opted_out: "Opted out", transferred: "Transferred", already_purchased: "Already bought",
    wrong_number: "Wrong number", declined: "Declined", voicemail: "Voicemail", no_answer: "No answer",
    busy: "Busy", failed: "Failed", completed: "Talked", no_response: "No response",
  };

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`error ${response.status}`);
    return response.json();
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function showStatus() {
    const status = document.getElementById("api-status");
    try {
      await getJson("/api/shop");
      status.textContent = "connected";
    } catch (error) {
      status.textContent = error.message || "unreachable";
    }
  }

  async function showCalls() {
    const body = document.getElementById("calls-body");
    let calls;
    try {
      calls = (await getJson("/api/calls?per_page=20")).items;
    } catch (error) {
      return;
    }
    body.replaceChildren();
    if (!calls.length) {
      const row = document.createElement("tr");
      const empty = cell("No calls yet.");
      empty.colSpan = 5;
      row.append(empty);
      body.append(row);
      return;
    }
    for (const call of calls) {
      const row = document.createElement("tr");
      row.dataset.id = call.id;
      row.append(cell(new Date(call.created_at).toLocaleString()),
                 cell(OUTCOMES[call.outcome] || (call.outcome ? call.outcome : "in progress")),
                 cell(call.status), cell(call.language),
                 cell(call.duration_seconds == null ? "—" : `${call.duration_seconds} s`));
      row.addEventListener("click", () => showTranscript(call.id));
      body.append(row);
    }
  }

  const DIRECTIONS = { outbound: "Sent", inbound: "Received" };

  async function showTexts() {
    const body = document.getElementById("texts-body");
    let texts;
    try {
      texts = (await getJson("/api/messages?per_page=20")).items;
    } catch (error) {
      return;
    }
    body.replaceChildren();
    if (!texts.length) {
      const row = document.createElement("tr");
      const empty = cell("No texts yet.");
      empty.colSpan = 4;
      row.append(empty);
      body.append(row);
      return;
    }
    for (const text of texts) {
      const row = document.createElement("tr");
      const status = text.error_code ? `${text.status} (error ${text.error_code})` : text.status;
      row.append(cell(new Date(text.created_at).toLocaleString()),
                 cell(DIRECTIONS[text.direction] || text.direction), cell(status), cell(text.body));
      body.append(row);
    }
  }

  function refresh() {
    showCalls();
    showTexts();
  }

  async function showTranscript(id) {
    const box = document.getElementById("transcript");
    const call = await getJson(`/api/calls/${id}`);
    box.replaceChildren();
    for (const turn of call.transcript) {
      const bubble = document.createElement("div");
      bubble.className = `turn ${turn.role}`;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = turn.role === "agent" ? "Assistant" : "Shopper";
      bubble.append(who, document.createTextNode(turn.text));
      box.append(bubble);
    }
    box.hidden = false;
  }

  function wireSimulator() {
    const form = document.getElementById("simulate");
    if (!form) return;
    const status = document.getElementById("simulate-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      status.textContent = "Sending the checkout…";
      const response = await fetch("/sandbox/checkouts", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data),
      });
      const answer = await response.json();
      status.textContent = response.ok ? "Checkout abandoned; the call starts in a moment."
        : (answer.message || answer.error);
      for (const delay of [2000, 5000, 9000, 15000]) setTimeout(refresh, delay);
    });
  }

  showStatus();
  refresh();
  wireSimulator();
  setInterval(refresh, 10000);
})();
