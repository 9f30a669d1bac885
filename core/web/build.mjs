// Builds the console into dist/: index.html, assets/app.js and assets/app.css.
// The output is committed and embedded in the core binary (web.go), so it must
// depend only on the sources and the versions package-lock.json pins: no
// timestamps, no source maps with absolute paths. `make web` runs this after
// type-checking; `make check-generated` rebuilds and diffs it.
import * as esbuild from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.tsx" },
  outdir: join(dist, "assets"),
  bundle: true,
  splitting: true, // livekit-client loads in a chunk of its own when someone joins a meeting
  chunkNames: "[name]-[hash]",
  minify: true,
  format: "esm",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  charset: "utf8",
  logLevel: "warning",
});
await copyFile(join(here, "src", "index.html"), join(dist, "index.html"));
await copyFile(join(here, "src", "favicon.svg"), join(dist, "assets", "favicon.svg"));
