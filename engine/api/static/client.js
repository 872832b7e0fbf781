// Calls to the engine's API from the pages: JSON in and out, and safe retries.
// A request that changes something carries an Idempotency-Key chosen once by the page, so
// sending it again after a lost answer (a flaky network, a 503, a 429) cannot do it twice.
(function () {
  "use strict";
  const RETRIED = new Set([429, 502, 503, 504]);

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // {status, doc} of the last answer; status 0 when the network never answered.
  async function call(path, { method = "GET", token, body, key, attempts = 1, onRetry } = {}) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (key) headers["Idempotency-Key"] = key;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer = { status: 0, doc: null };
    for (let n = 1; n <= attempts; n++) {
      let wait = 500 * 2 ** (n - 1);
      try {
        const r = await fetch(path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await r.text();
        answer = { status: r.status, doc: text ? JSON.parse(text) : null };
        if (!RETRIED.has(r.status)) return answer;
        const after = Number(r.headers.get("Retry-After"));
        if (after > 0) wait = Math.min(after * 1000, 10000);
      } catch (e) {
        answer = { status: 0, doc: { type: "network" } };
      }
      if (n < attempts) {
        if (onRetry) onRetry(n, answer);
        await sleep(wait * (0.75 + Math.random() / 2)); // spread: not every phone at once
      }
    }
    return answer;
  }

  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A credential handed over in the URL fragment (never sent to the server) moves to
  // this tab's sessionStorage and out of the address bar and history.
  function credential(name, param) {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get(param)) {
      sessionStorage.setItem(name, fragment.get(param));
      history.replaceState(null, "", location.pathname);
    }
    return sessionStorage.getItem(name);
  }

  Object.assign(window.NX, { call, newKey, credential, sleep });
})();

// The pages build their DOM from data with this, never from HTML strings.
window.NX.el = function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
};
