/**
 * The stylesheet of the login, consent, error and landing pages, served at STYLESHEET_PATH. Kept
 * as a module (not a file next to the build output) so the compiled package carries it.
 * The pages' CSP allows styles from 'self' only: no inline style, no inline script.
 */
export const STYLESHEET_PATH = '/oauth/assets/gatehouse.css';

export const STYLESHEET = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; display: flex; justify-content: center; padding: 3rem 1rem; background: Canvas; color: CanvasText; }
main { width: 100%; max-width: 26rem; border: 1px solid #8884; border-radius: 0.5rem; padding: 1.5rem 2rem; }
main.wide { max-width: 40rem; }
h1 { font-size: 1.3rem; margin-top: 0; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
code { overflow-wrap: anywhere; }
dt { font-weight: 600; margin-top: 0.6rem; }
dd { margin: 0.2rem 0 0 1rem; }
dd code { display: block; margin-bottom: 0.2rem; }
@media (max-width: 30rem) {
  body { padding: 1rem 0.5rem; }
  main { padding: 1rem 1.2rem; }
  dd { margin-left: 0.5rem; }
}
label { display: block; margin: 0.8rem 0 0.3rem; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; }
button { font: inherit; padding: 0.5rem 1.2rem; margin: 1rem 0.5rem 0 0; cursor: pointer; }
ul { padding-left: 1.2rem; }
.error { color: #c00; font-weight: 600; }
.muted { opacity: 0.75; font-size: 0.9rem; }
fieldset { border: 1px solid #8884; margin-top: 1rem; }
fieldset label { display: inline; margin: 0; }
`;
