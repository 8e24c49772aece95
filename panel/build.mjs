// The app's build step (make app): bundle the pinned amazon-connect-streams and the top bar into
// assets/ — nothing is loaded from a CDN at run time except Zendesk's own ZAF SDK.
import { build } from "esbuild";

const common = { bundle: true, format: "iife", target: ["chrome109", "firefox115", "safari15"], legalComments: "eof", logLevel: "warning" };

await build({ ...common, entryPoints: ["src/streams.js"], outfile: "assets/vendor/connect-streams.js", minify: true });
await build({ ...common, entryPoints: ["src/topbar.js"], outfile: "assets/topbar.js", minify: false });
