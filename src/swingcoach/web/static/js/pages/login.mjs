import { setupLayout } from "../layout.mjs";
import { setupAuthForm } from "./auth-form.mjs";

setupLayout();
setupAuthForm(false);
