// Every document of every manifest under patroni-examples/kubernetes/ against the
// Kubernetes API schema of the npm package kubernetes-models: the class for its
// apiVersion and kind is constructed and validated. A kind the package does not know
// fails (a typo in apiVersion or kind must not pass as "nothing to check"), and so does a
// field the schema does not have: the package's validators accept unknown fields, the API
// server's strict field validation (kubectl's default) refuses them.
//
// Usage: node validate-schema.mjs NODE_MODULES MANIFEST_DIR
//   NODE_MODULES: where scripts/install-deps.sh installed the npm packages (.deps/npm/node_modules)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [modules, root] = process.argv.slice(2).map((arg) => resolve(arg));
if (process.argv.length !== 4) {
  console.error("usage: validate-schema.mjs NODE_MODULES MANIFEST_DIR");
  process.exit(2);
}
const YAML = createRequire(join(modules, "index.js"))("yaml");

function yamlFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

// The module of a kind: "batch/v1" + "CronJob" -> kubernetes-models/batch/v1/CronJob.js
// (the package is ES modules only, which NODE_PATH does not reach: found by its path).
async function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || !/^([a-z0-9-]+(\.[a-z0-9-]+)*\/)?v[0-9a-z]+$/.test(apiVersion) ||
      typeof kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(kind))
    return null;
  const file = join(modules, "kubernetes-models", apiVersion, `${kind}.js`);
  if (!existsSync(file)) return null;
  const module = await import(pathToFileURL(file));
  return module[kind] ?? null;
}

// Runs the model's validator on a view of the model that records every property the
// validator reads; the schema's validators read each property they know, so an own
// property of a plain object that nobody read is not in the schema.
function unknownFields(model) {
  const read = new Map();
  const wrap = (value, path) => {
    if (value === null || typeof value !== "object") return value;
    read.set(value, { path, keys: new Set() });
    return new Proxy(value, {
      get(target, key, receiver) {
        const got = Reflect.get(target, key, receiver);
        if (typeof key !== "string") return got;
        read.get(target).keys.add(key);
        return wrap(got, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`);
      },
    });
  };
  model.validate.call(wrap(model, ""));
  const unknown = [];
  for (const [object, { path, keys }] of read)
    if (!Array.isArray(object))
      for (const key of Object.keys(object)) if (!keys.has(key)) unknown.push(`${path}.${key}`);
  return unknown;
}

let failures = 0;
let checked = 0;
for (const file of yamlFiles(root)) {
  const name = relative(process.cwd(), file);
  // YAML 1.1 as Kubernetes reads it (0400 is octal, yes/no/on/off are booleans), and a key
  // given twice is an error, as in the API server's strict decoding.
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
  for (const [index, doc] of docs.entries()) {
    const where = `${name}: document ${index + 1}`;
    if (doc.errors.length) {
      console.log(`${where}: ${doc.errors.map((e) => e.message).join("; ")}`);
      failures++;
      continue;
    }
    const data = doc.toJS();
    if (data === null) continue; // an empty document, e.g. after a trailing ---
    const cls = await modelClass(data.apiVersion, data.kind);
    if (!cls) {
      console.log(`${where}: unknown apiVersion/kind ${data.apiVersion}/${data.kind}`);
      failures++;
      continue;
    }
    const model = new cls(data);
    try {
      model.validate();
    } catch (e) {
      console.log(`${where} (${data.kind} ${data.metadata?.name ?? data.metadata?.generateName}): ${e.message}`);
      failures++;
      continue;
    }
    const unknown = unknownFields(model);
    if (unknown.length) {
      console.log(`${where} (${data.kind}): fields not in the schema: ${unknown.join(", ")}`);
      failures++;
      continue;
    }
    checked++;
  }
}
if (checked === 0 && failures === 0) {
  console.log(`no manifest found under ${root}`);
  failures++;
}
console.log(`${checked} documents valid, ${failures} failures`);
process.exit(failures ? 1 : 0);
