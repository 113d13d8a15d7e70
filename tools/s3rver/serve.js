#!/usr/bin/env node
// tools/s3rver/serve.js: s3rver (the npm package, pinned in package.json)
// as the S3 peer of livelog's archive tests, with what s3rver 3.7.1 lacks
// or gets wrong for them (README.md beside this file has the details):
//  - AbortMultipartUpload (DELETE KEY?uploadId=ID; s3rver answers 405);
//  - a real check of AWS Signature Version 4 (s3rver only looks up the
//    access key);
//  - ListObjects in byte order of keys, as S3 lists them (s3rver lists in
//    directory-walk order: "a/b" before "a.c", and a continuation token
//    then skips keys);
//  - a ranged GET of an empty object is 416, as on S3 (s3rver announces
//    one byte and sends none: the client waits for it).
// Started by scripts/s3rver.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

let S3rver, S3Error, AWSAccount, FilesystemStore, S3Object;
try {
  S3rver = require('s3rver');
  S3Error = require('s3rver/lib/models/error');
  AWSAccount = require('s3rver/lib/models/account');
  FilesystemStore = require('s3rver/lib/stores/filesystem');
  S3Object = require('s3rver/lib/models/object');
} catch (err) {
  console.error('s3rver: the npm package is missing (run scripts/install-deps)');
  process.exit(3);
}

function usage(msg) {
  if (msg) console.error(`s3rver: ${msg}`);
  console.error(
    'usage: serve.js --directory DIR [--address A] [--port N] ' +
      '[--bucket NAME]... [--port-file FILE] [--no-verify-sigv4] [--verbose]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    address: '127.0.0.1',
    port: 0,
    buckets: [],
    verify: true,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--directory' || a === '-d') o.directory = value();
    else if (a === '--address' || a === '-a') o.address = value();
    else if (a === '--port' || a === '-p') {
      const v = value();
      if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 65535) usage(`bad port ${v}`);
      o.port = Number(v);
    } else if (a === '--bucket' || a === '-b') o.buckets.push(value());
    else if (a === '--port-file') o.portFile = value();
    else if (a === '--no-verify-sigv4') o.verify = false;
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else usage(`unknown argument ${a}`);
  }
  if (!o.directory) usage('--directory is required');
  return o;
}

// ---- AWS Signature Version 4, checked as S3 does -------------------------

const sha256hex = data => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// RFC 3986 unreserved bytes stay, everything else is %XX (upper case).
function uriEncode(s) {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    c => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function canonicalQuery(raw) {
  if (!raw) return '';
  return raw
    .split('&')
    .filter(p => p.length > 0)
    .map(p => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      const dec = s => decodeURIComponent(s.replace(/\+/g, '%20'));
      return [uriEncode(dec(k)), uriEncode(dec(v))];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/([0-9]{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;

function denied(msg) {
  return new S3Error('AccessDenied', msg);
}

// Query-string authentication (a presigned URL): the same signature over
// the query without X-Amz-Signature, the host header, UNSIGNED-PAYLOAD;
// refused once X-Amz-Date + X-Amz-Expires has passed.
function verifyPresigned(ctx) {
  const url = ctx.originalUrl;
  const q = url.indexOf('?');
  const raw = url.slice(q + 1);
  const params = new URLSearchParams(raw);
  const cred = (params.get('X-Amz-Credential') || '').split('/');
  const amzDate = params.get('X-Amz-Date') || '';
  const expires = Number(params.get('X-Amz-Expires'));
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || cred.length !== 5 ||
      cred[4] !== 'aws4_request' || !/^[0-9]{8}T[0-9]{6}Z$/.test(amzDate) ||
      !amzDate.startsWith(cred[1]) || !(expires >= 1 && expires <= 604800) ||
      params.get('X-Amz-SignedHeaders') !== 'host')
    throw denied('a malformed presigned URL');
  const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
    +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Date.now() > t + expires * 1000) throw denied('Request has expired');
  const account = AWSAccount.registry.get(cred[0]);
  if (!account) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const secret = account.accessKeys.get(cred[0]);
  const unsigned = raw.split('&').filter(p => !p.startsWith('X-Amz-Signature=')).join('&');
  const canonicalRequest = [ctx.method, url.slice(0, q), canonicalQuery(unsigned),
    `host:${ctx.get('host')}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${cred[1]}/${cred[2]}/${cred[3]}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, cred[1]), cred[2]), cred[3]), 'aws4_request');
  const expected = hmac(key, toSign);
  const given = Buffer.from(params.get('X-Amz-Signature') || '', 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
    throw new S3Error('SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
      { CanonicalRequest: canonicalRequest });
}

function verifySigV4(ctx) {
  const auth = ctx.get('authorization');
  if (!auth && ctx.originalUrl.includes('X-Amz-Signature=')) return verifyPresigned(ctx);
  if (!auth) return; // anonymous: s3rver decides
  const m = AUTH_RE.exec(auth);
  if (!m) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed (only AWS4-HMAC-SHA256 is accepted here)',
    );
  }
  const [, akid, date, region, service, signedList, signature] = m;
  const account = AWSAccount.registry.get(akid);
  if (!account) {
    throw new S3Error(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  }
  const secret = account.accessKeys.get(akid);
  const amzDate = ctx.get('x-amz-date');
  if (!/^[0-9]{8}T[0-9]{6}Z$/.test(amzDate) || !amzDate.startsWith(date))
    throw denied('x-amz-date is missing or does not match the credential date');
  const payload = ctx.get('x-amz-content-sha256');
  if (!/^([0-9a-f]{64}|UNSIGNED-PAYLOAD)$/.test(payload))
    throw denied('x-amz-content-sha256 is missing or not a SHA-256 hex value');
  const signed = signedList.split(';');
  const sorted = [...signed].sort();
  if (signed.join(';') !== sorted.join(';') || !signed.includes('host'))
    throw denied('SignedHeaders must be sorted and include host');
  for (const h of Object.keys(ctx.req.headers)) {
    if (h.startsWith('x-amz-') && !signed.includes(h))
      throw denied(`There were headers present in the request which were not signed: ${h}`);
  }
  const headers = signed
    .map(h => {
      const v = ctx.req.headers[h];
      if (v === undefined) throw denied(`signed header ${h} is missing`);
      return `${h}:${String(v).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  // ctx.originalUrl: the request line's target, before vhost rewriting
  const url = ctx.originalUrl;
  const q = url.indexOf('?');
  const canonicalRequest = [
    ctx.method,
    q < 0 ? url : url.slice(0, q),
    canonicalQuery(q < 0 ? '' : url.slice(q + 1)),
    headers,
    signedList,
    payload,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  const expected = hmac(key, toSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
      { CanonicalRequest: canonicalRequest },
    );
  }
}

// ---- AbortMultipartUpload --------------------------------------------------

function abortMultipartUpload(app) {
  return async function abortMultipartUpload(ctx, next) {
    if (ctx.method !== 'DELETE' || !('uploadId' in ctx.query)) return next();
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!m) return next();
    const bucket = decodeURIComponent(m[1]);
    const key = decodeURIComponent(m[2]);
    if (!(await app.store.getBucket(bucket)))
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    const id = String(ctx.query.uploadId);
    const dir = path.join(app.store.getResourcePath(bucket, undefined, 'uploads'), id);
    let owner = null;
    if (/^[0-9a-f]{32}$/.test(id)) {
      try {
        owner = fs.readFileSync(path.join(dir, 'key'), 'utf8');
      } catch (err) {
        owner = null;
      }
    }
    if (owner !== key) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, ' +
          'or the upload may have been aborted or completed.',
        { UploadId: id },
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
  };
}

// ---- ListObjects in byte order --------------------------------------------

const OBJECT_SUFFIX = '._S3rver_object';
const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const keys = [];
  const walk = (dir, rel) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return; // removed meanwhile
      throw err;
    }
    for (const e of entries) {
      const r = rel + e.name;
      if (e.isDirectory()) {
        if (rel === '' && e.name === '._S3rver_uploads') continue;
        const sub = r + '/';
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) walk(path.join(dir, e.name), sub);
      } else if (e.isFile() && e.name.endsWith(OBJECT_SUFFIX)) {
        const key = FilesystemStore.decodeKeyPath(r.slice(0, -OBJECT_SUFFIX.length));
        if (key.startsWith(prefix) && byteOrder(key, startAfter) > 0) keys.push(key);
      }
    }
  };
  walk(this.getBucketPath(bucket), '');
  keys.sort(byteOrder);
  const chosen = [];
  const commonPrefixes = new Set();
  let isTruncated = false;
  for (const key of keys) {
    const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
    if (idx !== -1) {
      commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
      continue;
    }
    if (chosen.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    chosen.push(key);
  }
  const objects = [];
  for (const key of chosen) {
    // one at a time: a thousand at once runs out of descriptors
    try {
      objects.push(new S3Object(bucket, key, null, await this.getMetadata(bucket, key)));
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(byteOrder), isTruncated };
};

// ---- a ranged GET of an empty object ---------------------------------------

function emptyRange(app) {
  return async function emptyRange(ctx, next) {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.get('range')) return next();
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!m || Object.keys(ctx.query).length > 0) return next();
    let md;
    try {
      md = await app.store.getMetadata(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    } catch (err) {
      return next(); // s3rver answers for a missing object
    }
    if (Number(md['content-length']) === 0) {
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', {
        RangeRequested: ctx.get('range'),
        ActualObjectSize: 0,
      });
    }
    return next();
  };
}

// ---- start -----------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.directory, { recursive: true });
  const app = new S3rver({
    directory: o.directory,
    address: o.address,
    port: o.port,
    silent: !o.verbose,
    configureBuckets: o.buckets.map(name => ({ name, configs: [] })),
  });
  // s3rver logs through winston's Console transport to stdout; stdout is
  // kept for the port line, so every level goes to stderr
  const all = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
  for (const t of app.logger.transports)
    t.stderrLevels = Object.fromEntries(all.map(l => [l, true]));
  // s3rver's middleware: logger, XML encoder, mount, vhost, router. The
  // signature check goes right after the logger (it reads the request line
  // as sent), the abort route right after vhost (it reads path-style).
  const names = app.middleware.map(f => f.name);
  const vhost = names.indexOf('vhost');
  if (vhost < 0) throw new Error('unexpected s3rver middleware layout');
  app.middleware.splice(vhost + 1, 0, abortMultipartUpload(app), emptyRange(app));
  if (o.verify) {
    app.middleware.splice(1, 0, async function sigv4(ctx, next) {
      verifySigV4(ctx);
      return next();
    });
  }
  const { port } = await app.run();
  if (o.portFile) {
    const tmp = `${o.portFile}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, o.portFile);
  }
  process.stdout.write(`${port}\n`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// a port in use (EADDRINUSE) comes as an event, not as the rejection of
// run(): one line and exit 1 rather than a stack trace
process.on('uncaughtException', err => {
  console.error(`s3rver: ${err && err.message ? err.message : err}`);
  process.exit(1);
});

main().catch(err => {
  console.error(`s3rver: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
