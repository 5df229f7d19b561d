// Passkeys (WebAuthn): adding one on the account's passkey page, and "Sign in with a passkey" on
// the login pages. The server (core/passkey_views.py) hands out the options as JSON with
// base64url strings and takes the answer back the same way; every POST carries the CSRF token in
// X-CSRFToken. Texts come translated from the page's data-msg-* attributes.
(() => {
  const supported = () =>
    typeof window.PublicKeyCredential === "function" && !!navigator.credentials && window.isSecureContext;

  const toBytes = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };

  const toBase64url = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  // The server's answer: its JSON, or an error carrying a message fit for the user.
  const postJson = async (url, csrf, body, messages) => {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body || {}),
      });
    } catch (error) {
      throw new Error(messages.failed);
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("application/json") ? await response.json() : null;
    if (response.status === 429) throw new Error(messages.throttled);
    if (!response.ok || data === null) throw new Error((data && data.error) || messages.failed);
    return data;
  };

  const creationOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  });

  const requestOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  });

  const attestationJson = (credential) => ({
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toBase64url(credential.response.clientDataJSON),
      attestationObject: toBase64url(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
  });

  const assertionJson = (credential) => ({
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toBase64url(credential.response.clientDataJSON),
      authenticatorData: toBase64url(credential.response.authenticatorData),
      signature: toBase64url(credential.response.signature),
      userHandle: credential.response.userHandle ? toBase64url(credential.response.userHandle) : undefined,
    },
  });

  // The browser's refusal as a message: cancelled (or timed out), already registered, or other.
  const browserError = (error, messages) => {
    if (error && error.name === "NotAllowedError") return messages.cancelled;
    if (error && error.name === "InvalidStateError" && messages.exists) return messages.exists;
    return (error && error.message) || messages.failed;
  };

  // The CSRF token: the element's own, else the page's form token (the login form's); none
  // where CSRF protection is off (the tests' default).
  const csrfOf = (element) => {
    const field = document.querySelector('input[name="csrf_token"]');
    return element.dataset.csrf || (field ? field.value : "");
  };

  const messagesOf = (element) => ({
    cancelled: element.dataset.msgCancelled,
    exists: element.dataset.msgExists,
    failed: element.dataset.msgFailed,
    throttled: element.dataset.msgThrottled,
  });

  const showError = (box, text) => {
    const alert = box.querySelector("[data-passkey-error]");
    alert.textContent = text;
    alert.hidden = false;
  };

  const register = async (form, box) => {
    const messages = messagesOf(form);
    const csrf = csrfOf(form);
    const name = form.querySelector("[name=name]").value;
    let credential;
    try {
      const options = await postJson(form.dataset.optionsUrl, csrf, {}, messages);
      credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    } catch (error) {
      showError(box, error instanceof Error && error.name === "Error" ? error.message : browserError(error, messages));
      return;
    }
    try {
      const done = await postJson(form.dataset.registerUrl, csrf, { credential: attestationJson(credential), name }, messages);
      window.location.assign(done.redirect);
    } catch (error) {
      showError(box, error.message);
    }
  };

  const signIn = async (button, box) => {
    const messages = messagesOf(button);
    const csrf = csrfOf(button);
    let credential;
    try {
      const options = await postJson(button.dataset.optionsUrl, csrf, {}, messages);
      credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    } catch (error) {
      showError(box, error instanceof Error && error.name === "Error" ? error.message : browserError(error, messages));
      return;
    }
    try {
      const body = { credential: assertionJson(credential), next: button.dataset.next || "" };
      const done = await postJson(button.dataset.loginUrl, csrf, body, messages);
      window.location.assign(done.redirect);
    } catch (error) {
      showError(box, error.message);
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (!supported()) return;
    document.querySelectorAll("[data-passkey-unsupported]").forEach((note) => {
      note.hidden = true;
    });
    document.querySelectorAll("[data-passkey-box]").forEach((box) => {
      box.hidden = false;
      const form = box.querySelector("form[data-passkey-register]");
      if (form) {
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (form.reportValidity()) register(form, box);
        });
      }
      const button = box.querySelector("[data-passkey-login]");
      if (button) {
        button.addEventListener("click", () => signIn(button, box));
      }
    });
  });
})();
