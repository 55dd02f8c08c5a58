// Calls the app's own API; App Bridge (or the sandbox stand-in) adds the Bearer ID token.
(async function () {
  const status = document.getElementById("api-status");
  try {
    const response = await fetch("/api/shop", { headers: { Accept: "application/json" } });
    status.textContent = response.ok ? "connected" : `error ${response.status}`;
  } catch (error) {
    status.textContent = "unreachable";
  }
})();
