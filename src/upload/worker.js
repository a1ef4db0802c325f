// The upload engine's byte work, off the page's main thread (a dedicated worker that
// `worker_io.rs` starts from this source). The engine (Rust, main thread) decides what
// to send; this worker does the per-byte and per-request work: reading a slice of the
// file, hashing it with WebCrypto, and sending it with XMLHttpRequest. Workers are not
// timer-throttled in hidden tabs, and their reading and hashing never block the page.
//
// In:  {op: 'send', id, method, url, headers: [[name, value]...], file: Blob|null,
//       start, end, digest: 'none'|'checksum'|'content-digest', memory: bool,
//       progress: bool}
//      {op: 'send', id, method, url, headers, parts: [string|Blob...], digest: 'none',
//       progress: false}   (a batch of small files: the body is one Blob of `parts`)
//      {op: 'abort', id}
//      (and a dropped folder's ops: `worker_folder.js`, appended to this source)
// Out: {op: 'progress', loaded: [[id, bytes]...]}   (at most every PROGRESS_MS)
//      {op: 'done', id, status, body, digest: Uint8Array(32)|null}
//      {op: 'done', id, error: 'network'|'aborted'|'unreadable'}
// Every answer that went on the wire carries `url` and `timing: [start, end]` (ms since
// the epoch), which the page records as a `performance.measure` named by the URL: the
// worker's requests are not in the page's Resource Timing, and tests and the benchmark
// count them there.
'use strict';

// Progress is batched: one message per PROGRESS_MS for every request in flight.
const PROGRESS_MS = 100;
// A request whose upload has not moved and that has no answer for this long is aborted
// and reported lost, so the engine retries it (a dead connection must not hang a part).
const STALL_MS = 30000;

// id -> {xhr, lastMove, aborted}
const inFlight = new Map();
// Ids aborted before their request existed (still reading or hashing).
const abortedEarly = new Set();
let pendingProgress = new Map();
let progressTimer = null;
let stallTimer = null;
// Slices are read and hashed one at a time: one part's bytes in memory at once.
let hashing = Promise.resolve();

const flushProgress = () => {
  progressTimer = null;
  if (pendingProgress.size > 0) {
    postMessage({ op: 'progress', loaded: [...pendingProgress] });
    pendingProgress = new Map();
  }
};

const noteProgress = (id, loaded) => {
  pendingProgress.set(id, loaded);
  if (progressTimer === null) progressTimer = setTimeout(flushProgress, PROGRESS_MS);
};

const checkStalls = () => {
  const now = performance.now();
  for (const [id, request] of inFlight) {
    if (now - request.lastMove > STALL_MS) {
      request.stalled = true;
      request.xhr.abort();
    }
  }
  stallTimer = inFlight.size > 0 ? setTimeout(checkStalls, STALL_MS / 6) : null;
};

const base64 = bytes => {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
};

// Slices up to this size are read and hashed at once; larger ones one at a time.
const SERIAL_ABOVE = 1024 * 1024;

// The one buffer large slices are read into, reused slice after slice (grown when a
// slice is larger). Reading each slice with `blob.arrayBuffer()` left a new 8 MiB buffer
// per part to the collector, which in a worker runs rarely: a 4 GiB upload grew the
// renderer by ~500 MiB (measured, `memlab` in the upload benchmark). WebCrypto copies
// what it hashes, so the buffer is free again as soon as `digest` has been called.
let spare = null;

// Reads `blob` into the reused buffer with a BYOB reader (each read hands the buffer's
// memory back in a new ArrayBuffer object) and hashes it.
const readIntoSpareAndHash = async blob => {
  const size = blob.size;
  if (spare === null || spare.byteLength < size) spare = new ArrayBuffer(size);
  let buffer = spare;
  spare = null;
  let filled = 0;
  const reader = blob.stream().getReader({ mode: 'byob' });
  try {
    while (filled < size) {
      const { done, value } = await reader.read(new Uint8Array(buffer, filled, size - filled));
      if (value) buffer = value.buffer;
      if (done) break;
      filled += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  if (filled !== size) throw new Error('the file changed while it was read');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(buffer, 0, size)));
  spare = buffer;
  return { digest, buffer: null };
};

// Reads `blob` and hashes it; the buffer is kept only when `keep` (to send from memory).
const readAndHash = (blob, keep) => {
  const read = async () => {
    const buffer = await blob.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
    return { digest, buffer: keep ? buffer : null };
  };
  if (blob.size <= SERIAL_ABOVE) return read();
  // Large slices one at a time: one part's bytes in memory at once, in one buffer unless
  // they are to be sent from memory.
  const work = hashing.then(keep ? read : () => readIntoSpareAndHash(blob));
  // The next large slice waits for this one, failed or not.
  hashing = work.catch(() => {});
  return work;
};

const now = () => performance.timeOrigin + performance.now();

const finish = (id, message) => {
  const request = inFlight.get(id);
  if (request) {
    message.url = request.url;
    message.timing = [request.started, now()];
  }
  inFlight.delete(id);
  pendingProgress.delete(id);
  postMessage(Object.assign({ op: 'done', id }, message));
};

const send = async task => {
  const { id, file } = task;
  const headers = task.headers.slice();
  let body = null;
  let digest = null;
  if (task.parts) {
    // Put together here, not on the page: a Blob of a thousand files costs the thread
    // that makes it hundreds of milliseconds.
    try {
      body = new Blob(task.parts);
    } catch (error) {
      return finish(id, { error: 'unreadable' });
    }
  } else if (file) {
    const slice = task.start === 0 && task.end === file.size ? file : file.slice(task.start, task.end);
    body = slice;
    if (task.digest !== 'none') {
      let read;
      try {
        read = await readAndHash(slice, task.memory);
      } catch (error) {
        return finish(id, { error: 'unreadable' });
      }
      digest = read.digest;
      if (read.buffer) body = read.buffer;
      const value = base64(digest);
      headers.push(task.digest === 'checksum'
        ? ['Upload-Checksum', `sha256 ${value}`]
        : ['Content-Digest', `sha-256=:${value}:`]);
    }
  }
  if (abortedEarly.delete(id)) return finish(id, { error: 'aborted' });
  const xhr = new XMLHttpRequest();
  const request = { xhr, lastMove: performance.now(), stalled: false, url: task.url, started: now() };
  try {
    xhr.open(task.method, task.url);
    for (const [name, value] of headers) xhr.setRequestHeader(name, value);
  } catch (error) {
    return finish(id, { error: 'network' });
  }
  xhr.upload.onprogress = event => {
    request.lastMove = performance.now();
    if (task.progress) noteProgress(id, event.loaded);
  };
  xhr.onprogress = () => { request.lastMove = performance.now(); };
  xhr.onload = () => finish(id, { status: xhr.status, body: xhr.responseText, digest });
  xhr.onerror = () => finish(id, { error: 'network' });
  xhr.onabort = () => finish(id, { error: request.stalled ? 'network' : 'aborted' });
  inFlight.set(id, request);
  if (stallTimer === null) stallTimer = setTimeout(checkStalls, STALL_MS / 6);
  try {
    xhr.send(body);
  } catch (error) {
    finish(id, { error: 'network' });
  }
};

onmessage = event => {
  const message = event.data;
  if (folderOp(message)) return;
  if (message.op === 'send') {
    send(message);
  } else if (message.op === 'abort') {
    const request = inFlight.get(message.id);
    if (request) request.xhr.abort();
    else abortedEarly.add(message.id);
  }
};
