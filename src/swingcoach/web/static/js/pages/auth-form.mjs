// The login and register forms.

import { api, login } from "../api.mjs";

function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  // Only paths of this site: never an open redirect.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/practice";
}

export function setupAuthForm(register) {
  const form = document.getElementById("auth-form");
  const error = document.getElementById("form-error");
  const button = document.getElementById("submit");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!form.checkValidity()) {
      error.textContent = "Enter an email address and a password of at least 8 characters.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      if (register) await api("/auth/register", { method: "POST", json: { email, password } });
      await login(email, password);
      location.assign(nextPage());
    } catch (problem) {
      // Registering never says whether an email has an account; a login that then fails may mean it had one.
      error.textContent = register && problem.status === 401
        ? "This email may already have an account with another password: log in instead."
        : problem.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}
