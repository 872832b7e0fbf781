// What every page shares: the header (its title, the language switch, sign-out where the
// page signs in) and the page's credential, kept in this tab's sessionStorage only.
(function () {
  "use strict";
  const { el } = NX;

  // NX.page({title, storage, param, extra, onLanguage, onSignOut}): the header is built,
  // the language applied, and the credential (from the URL fragment, else this tab) read.
  window.NX.page = function ({ title, storage, param, extra = [], onLanguage, onSignOut }) {
    const lang = el("button", { id: "lang", type: "button", "data-i18n": "lang.switch" }, "English");
    const logout = onSignOut
      ? el("button", { id: "logout", type: "button", "data-i18n": "logout", hidden: true }, "退出")
      : null;
    document.querySelector("header").replaceChildren(el("h1", { "data-i18n": title }), ...extra, lang, logout);
    NX.switcher(lang);
    if (onLanguage) NX.onChange(onLanguage);
    NX.apply();
    let credential = storage ? NX.credential(storage, param) : null;
    const page = {
      get credential() { return credential; },
      signIn(value) {
        credential = value;
        sessionStorage.setItem(storage, value);
      },
      shown() { if (logout) logout.hidden = false; }, // signed in: offer sign-out
      signOut() {
        sessionStorage.removeItem(storage);
        credential = null;
        if (logout) logout.hidden = true;
      },
    };
    if (logout) logout.addEventListener("click", () => { page.signOut(); onSignOut(); });
    return page;
  };
})();
