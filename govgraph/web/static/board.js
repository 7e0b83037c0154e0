// The election board's live turnout: the `turnout` subscription over graphql-transport-ws on the public
// gateway's /graphql (which works whether or not the subgraph endpoints require a secret).
// Without it (no script, no WebSocket, refused) the page keeps the number it was served.

const shown = document.querySelector("[data-turnout][data-subscription]");
const status = document.querySelector("[data-turnout-status]");

function say(text) {
  if (status) status.textContent = text;
}

if (shown && "WebSocket" in globalThis) {
  const url = new URL(shown.dataset.subscription, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url, "graphql-transport-ws");
  const query = "subscription($e: ID!) { turnout(electionId: $e) }";
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "connection_ack") {
      const payload = { query, variables: { e: shown.dataset.election } };
      socket.send(JSON.stringify({ id: "turnout", type: "subscribe", payload }));
    } else if (message.type === "next" && Number.isInteger(message.payload?.data?.turnout)) {
      shown.textContent = String(message.payload.data.turnout);
      shown.dataset.live = "yes";
      say("(live)");
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    }
  });
  socket.addEventListener("close", () => {
    if (shown.dataset.live === "yes") say("(no longer live: reload for the latest number)");
  });
}
