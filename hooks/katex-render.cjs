// Render a JSON list of formulas with the pinned KaTeX; called once per build by katex.py.
// stdin:  [{"tex": "...", "display": true|false}, ...]
// stdout: [{"html": "..."} | {"error": "..."}, ...] in the same order.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const items = JSON.parse(input);
  const out = items.map(({ tex, display }) => {
    try {
      return {
        html: katex.renderToString(tex, {
          displayMode: display,
          output: "htmlAndMathml", // MathML for screen readers, HTML for the eye
          throwOnError: true,
          strict: "error",
          trust: false,
        }),
      };
    } catch (err) {
      return { error: String(err && err.message ? err.message : err) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
