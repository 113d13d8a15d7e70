'use strict';
// validate.js: checks livelog server logs (JSON lines on stderr, ADR 6)
// against the ADR 6 JSON Schema (adr6.schema.json, draft-04) with Ajv.
//
//   node validate.js LOGFILE...
//
// Every line of every LOGFILE is decoded as UTF-8, parsed with JSON.parse and
// validated against the compiled schema (all errors, not just the first).
// The schema's "not": {"required": [...]} only refuses a record that holds
// ALL of those keys at once (that is what draft-04 says), so each single
// collector-reserved key of that list (less "level", which is required) is
// reported here as an error of its own.
//
// Each failure is printed on stdout as "LOGFILE:LINE: what is wrong".
// Exit status: 0 when every line passes, 1 when one fails (or a file cannot
// be read), 2 on usage errors or when the schema cannot be loaded or
// compiled, 3 when ajv is not installed (run scripts/install-deps).
// scripts/check-server-log runs this on every server log of the tests.

const fs = require('fs');
const path = require('path');

const EXIT_FAIL = 1;
const EXIT_USAGE = 2;
const EXIT_DEPS = 3;
const SCHEMA_PATH = path.join(__dirname, 'adr6.schema.json');

function die(code, msg) {
  process.stderr.write(`validate.js: ${msg}\n`);
  process.exit(code);
}

function show(value) {
  let s = JSON.stringify(value);
  if (s === undefined) s = String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function loadSchema() {
  let schema;
  try {
    schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
  } catch (e) {
    die(EXIT_USAGE, `cannot load the schema ${SCHEMA_PATH}: ${e.message}`);
  }
  const notRequired = (schema.not && schema.not.required) || [];
  const required = schema.required || [];
  if (notRequired.length === 0) {
    die(EXIT_USAGE, `${SCHEMA_PATH} has no "not": {"required": [...]} list`);
  }
  return {
    schema,
    reserved: notRequired.filter((k) => !required.includes(k)),
  };
}

function compile(schema) {
  let Ajv;
  try {
    Ajv = require('ajv-draft-04');
  } catch (e) {
    die(EXIT_DEPS,
        `cannot load ajv-draft-04 (${e.code || e.message}) from ` +
        `${path.join(__dirname, 'node_modules')}: run scripts/install-deps`);
  }
  try {
    // Strict: a schema Ajv would have to ignore parts of is refused. Not
    // strictRequired: not.required names keys that "properties" does not
    // define, on purpose.
    const ajv = new Ajv({
      allErrors: true,
      strictSchema: true,
      strictNumbers: true,
      strictTypes: true,
      strictTuples: true,
      strictRequired: false,
      logger: false,
    });
    return ajv.compile(schema);
  } catch (e) {
    die(EXIT_USAGE, `cannot compile ${SCHEMA_PATH}: ${e.message}`);
  }
  return null;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// One line of text per Ajv error, built from Ajv's own message.
function describe(err, record) {
  const where = err.instancePath || 'the record';
  let text = `${where} ${err.message}`;
  if (err.keyword === 'enum') {
    text += ` (${err.params.allowedValues.map(show).join(', ')})`;
  } else if (err.keyword === 'not' && err.schemaPath === '#/not') {
    text += isObject(record) ?
        ': it holds every collector-reserved key of the schema\'s ' +
            'not.required at once' :
        ' (a value that is not an object satisfies any "required")';
  }
  if (err.instancePath !== '' && err.keyword !== 'required') {
    // the offending value: "/level" names record.level (one level deep)
    const key = err.instancePath.slice(1).replace(/~1/g, '/')
        .replace(/~0/g, '~');
    if (Object.prototype.hasOwnProperty.call(record, key)) {
      text += `, got ${show(record[key])}`;
    }
  }
  return `${text} [schema ${err.schemaPath}]`;
}

function checkFile(file, validate, reserved, out) {
  let data;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    out.push(`${file}: cannot read: ${e.message}`);
    return;
  }
  const decoder = new TextDecoder('utf-8', {fatal: true});
  let start = 0;
  for (let lineno = 1; start < data.length; lineno++) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    const raw = data.subarray(start, end);
    start = end + 1;

    const bad = (what) => out.push(`${file}:${lineno}: ${what}`);
    let text;
    try {
      text = decoder.decode(raw);
    } catch (e) {
      bad('is not valid UTF-8');
      continue;
    }
    let record;
    try {
      record = JSON.parse(text);
    } catch (e) {
      bad(`is not valid JSON (${e.message})`);
      continue;
    }
    if (!validate(record)) {
      for (const err of validate.errors) bad(describe(err, record));
    }
    if (isObject(record)) {
      for (const key of reserved) {
        if (Object.prototype.hasOwnProperty.call(record, key)) {
          bad(`/${key} is a collector-reserved key (ADR 6 "Automatically ` +
              `added fields", the schema's not.required), got ` +
              `${show(record[key])}`);
        }
      }
    }
  }
}

function main(argv) {
  const files = [];
  let options = true;
  for (const a of argv) {
    if (options && a === '--') {
      options = false;
    } else if (options && (a === '-h' || a === '--help')) {
      process.stdout.write('usage: node validate.js LOGFILE...\n');
      return 0;
    } else if (options && a.startsWith('-') && a !== '-') {
      die(EXIT_USAGE, `unknown option ${a}\nusage: node validate.js LOGFILE...`);
    } else {
      files.push(a);
    }
  }
  if (files.length === 0) die(EXIT_USAGE, 'usage: node validate.js LOGFILE...');

  const {schema, reserved} = loadSchema();
  const validate = compile(schema);
  const out = [];
  for (const f of files) checkFile(f === '-' ? '/dev/stdin' : f, validate,
                                   reserved, out);
  if (out.length > 0) {
    process.stdout.write(out.join('\n') + '\n');
    return EXIT_FAIL;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
