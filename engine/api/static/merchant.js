// The merchant page (/m/): sign in with a store key, scan a voucher's QR code with the
// camera or paste its code, check it, redeem it, and see and reverse the day's redemptions.
(function () {
  "use strict";
  const { t, el } = NX;
  const $ = (id) => document.getElementById(id);
  const page = NX.page({
    title: "app.merchant",
    storage: "nuanxin-store-key",
    param: "key", // a link may carry it: /m/#key=...
    onLanguage: () => { if (page.credential) loadDay(); },
    onSignOut: () => { stopCamera(); signedOut(""); },
  });
  let checked = null; // {code, verdict, key}: what the redeem button will redeem
  const reversalKeys = {};
  let camera = null;

  ZXingWASM.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? "/static/vendor/zxing_reader.wasm" : prefix + path),
    },
  });

  function show(node, cls, text) {
    node.className = "message " + cls + (node.id === "result" ? " result" : "");
    node.textContent = text;
  }

  function signedOut(message) {
    page.signOut();
    $("till").hidden = true;
    $("signin").hidden = false;
    show($("signin-message"), "bad", message || "");
  }

  async function open() {
    const r = await NX.call("/v1/me/redemptions", { token: page.credential, attempts: 3 });
    if (r.status === 401 || r.status === 403) return signedOut(t("login.bad_key"));
    $("signin").hidden = true;
    $("till").hidden = false;
    page.shown();
    if (r.status === 200) renderDay(r.doc);
  }

  // -- reading a code ------------------------------------------------------------
  function normalised(text) {
    return text.replace(/[\s-]+/g, "").toUpperCase();
  }

  async function startCamera() {
    if (camera) return stopCamera();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      camera = { stream, canvas: document.createElement("canvas") };
      $("video").srcObject = stream;
      await $("video").play();
      $("camera").hidden = false;
      $("scan").textContent = t("scan.stop");
      scanFrame();
    } catch (e) {
      camera = null;
      show($("result"), "bad", t("scan.no_camera"));
    }
  }

  function stopCamera() {
    if (!camera) return;
    for (const track of camera.stream.getTracks()) track.stop();
    camera = null;
    $("camera").hidden = true;
    $("scan").textContent = t("scan");
  }

  async function scanFrame() {
    if (!camera) return;
    const video = $("video"), canvas = camera.canvas;
    if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0);
      const found = await ZXingWASM.readBarcodes(ctx.getImageData(0, 0, canvas.width, canvas.height), {
        formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1,
      });
      if (found.length && found[0].text) {
        stopCamera();
        $("code").value = found[0].text;
        return verify();
      }
    }
    setTimeout(scanFrame, 150);
  }

  // -- checking and redeeming ------------------------------------------------------
  function verdictWords(v) {
    if (v.redeemable) return t("verify.ok");
    const key = "verify.reason." + v.reason;
    const why = t(key) !== key ? t(key) : NX.problem({ type: v.reason });
    return t("verify.not", { why });
  }

  async function verify() {
    const code = normalised($("code").value);
    $("result").textContent = "";
    $("answer").hidden = true;
    if (!code) return;
    const r = await NX.call("/v1/codes/verify", { method: "POST", token: page.credential, body: { code }, attempts: 3 });
    if (r.status === 401) return signedOut(t("login.bad_key"));
    $("answer").hidden = false;
    if (r.status !== 200) {
      checked = null;
      $("redeem").hidden = true;
      $("amount-row").hidden = true;
      $("order-row").hidden = true;
      return show($("verdict"), "bad", NX.problem(r.doc));
    }
    const v = r.doc;
    // One Idempotency-Key per checked code and amount: a retry of the same redemption
    // reuses it, and another amount is another request with a key of its own.
    checked = { code, verdict: v, keys: {} };
    const worth = v.discount ? NX.discount(v.discount)
      : v.balance_fen != null ? NX.money(v.balance_fen) : v.face_value_fen != null ? NX.money(v.face_value_fen) : "";
    show($("verdict"), v.redeemable ? "ok" : "bad", `${NX.name(v, "campaign_")} ${worth} · ${verdictWords(v)}`);
    $("verdict").dataset.reason = v.reason || "";
    $("redeem").hidden = !v.redeemable;
    $("amount-row").hidden = !(v.redeemable && v.stored_value);
    $("order-row").hidden = !(v.redeemable && v.discount);
    $("amount").value = "";
    $("order").value = "";
  }

  async function redeem() {
    if (!checked) return;
    const body = { code: checked.code };
    const yuan = $("amount").value.trim();
    if (checked.verdict.stored_value && yuan) body.amount_fen = Math.round(Number(yuan) * 100);
    const order = $("order").value.trim();
    if (checked.verdict.discount && order) body.order_fen = Math.round(Number(order) * 100);
    $("redeem").disabled = true;
    const asked = body.order_fen ?? body.amount_fen ?? "all";
    const r = await NX.call("/v1/redemptions", {
      method: "POST", token: page.credential, body, key: (checked.keys[asked] ??= NX.newKey()), attempts: 4,
      onRetry: (n) => show($("result"), "wait", t("retrying", { n })),
    });
    $("redeem").disabled = false;
    if (r.status === 401) return signedOut(t("login.bad_key"));
    if (r.status === 201) {
      const paid = r.doc.order_fen != null
        ? " · " + t("redeem.discounted", { a: NX.money(r.doc.amount_fen), pay: NX.money(r.doc.to_pay_fen) }) : "";
      show($("result"), "ok", `${t("redeem.ok", { a: NX.money(r.doc.amount_fen) })}${paid} · ${NX.name(checked.verdict, "campaign_")}`);
      $("result").dataset.redemption = r.doc.redemption_id;
      $("answer").hidden = true;
      checked = null;
      const rid = r.doc.redemption_id;
      return refreshDayUntil((day) => day.redemptions.some((x) => x.redemption_id === rid));
    }
    let words = NX.problem(r.doc);
    if (NX.slug(r.doc) === "already-redeemed" && r.doc.redeemed_at) {
      words += " · " + t("already_redeemed_at", { t: NX.when(r.doc.redeemed_at) });
    }
    if (r.doc && r.doc.shortfall_fen) words += " · " + t("shortfall", { a: NX.money(r.doc.shortfall_fen) });
    show($("result"), "bad", words);
    $("result").dataset.problem = NX.slug(r.doc);
    if (r.status >= 400 && r.status < 500) checked = null;
  }

  // -- the day ---------------------------------------------------------------------
  async function loadDay() {
    const r = await NX.call("/v1/me/redemptions", { token: page.credential });
    if (r.status === 200) renderDay(r.doc);
    return r.doc;
  }

  // The ledger takes a redemption or a reversal a moment after its answer: the day is
  // read again until `shows(day)`, for ten seconds at most.
  async function refreshDayUntil(shows) {
    for (let i = 0; i < 20; i++) {
      const day = await loadDay();
      if (day && day.redemptions && shows(day)) return;
      await NX.sleep(500);
    }
  }

  function renderDay(day) {
    const list = $("day");
    if (!day.redemptions.length) return list.replaceChildren(el("li", { class: "muted", text: t("empty.day") }));
    list.replaceChildren(...day.redemptions.map((x) => {
      const left = x.amount_fen - x.reversed_fen;
      const reversible = left > 0 && Date.parse(x.reversible_until) > Date.now();
      return el("li", { dataset: { redemption: x.redemption_id } },
        el("span", { class: "when", text: NX.when(x.redeemed_at, "time") }),
        el("span", { class: "what" }, NX.name(x, "campaign_"), " ", NX.money(x.amount_fen),
          x.reversed_fen ? el("span", { class: "muted", text: " · " + t("day.reversed", { a: NX.money(x.reversed_fen) }) }) : null),
        reversible ? el("button", { class: "secondary reverse", type: "button", onclick: () => reverse(x, left) }, t("reverse")) : null);
    }));
  }

  async function reverse(x, left) {
    if (!confirm(t("reverse.confirm", { a: NX.money(left) }))) return;
    reversalKeys[x.redemption_id] ??= NX.newKey();
    const r = await NX.call("/v1/reversals", {
      method: "POST", token: page.credential, body: { redemption_id: x.redemption_id },
      key: reversalKeys[x.redemption_id], attempts: 4,
    });
    if (r.status === 201) {
      delete reversalKeys[x.redemption_id];
      show($("result"), "ok", t("reverse.ok", { a: NX.money(r.doc.amount_fen) }));
      return refreshDayUntil((day) => {
        const now = day.redemptions.find((y) => y.redemption_id === x.redemption_id);
        return !now || now.reversed_fen > x.reversed_fen;
      });
    }
    if (r.status >= 400 && r.status < 500) delete reversalKeys[x.redemption_id];
    show($("result"), "bad", NX.problem(r.doc));
  }

  // -- the page --------------------------------------------------------------------
  $("signin").addEventListener("submit", (e) => {
    e.preventDefault();
    page.signIn($("store-key").value.trim());
    $("store-key").value = "";
    open();
  });
  $("scan").addEventListener("click", startCamera);
  $("verify").addEventListener("click", verify);
  $("redeem").addEventListener("click", redeem);
  if (page.credential) open(); else signedOut("");
})();
