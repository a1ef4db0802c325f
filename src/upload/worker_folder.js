// A dropped folder uploaded by the worker (appended to `worker.js`; `folder_upload.rs`
// starts it). The page posts the folder's File System Access handle; this walks it
// (`values()`, `getFile()`), sends its tiny files in batches (`POST {batch}`, without a
// digest, the `File`s themselves as the body) and tells the page only counts, at most
// every FOLDER_PROGRESS_MS. A file the server already has with exactly these bytes counts as
// stored (a folder dropped again after a reload sends only what is missing). Files it does not settle go back to the page, which queues each as
// its own upload (conflicts, retries and errors as for any file): bigger files, and the
// files a batch did not store (a conflict, a refusal, a lost batch).
//
// Why: walking 10,000 files and building their batches on the page cost its main thread
// about half its time (issue 9); here it costs the page one message per 100 ms.
//
// In:  {op: 'folder', id, handle, base: '/encoded/dir', url, headers: [[name, value]...],
//       createOnly: bool, tinyMax, batchFiles, batchBytes, parallel}
//      {op: 'folder-pause' | 'folder-resume' | 'folder-cancel', id}
// Out: {op: 'folder-progress', id, found, foundBytes, done, doneBytes, back, walking,
//       finished}   (`found` counts the files this sends, `back` those of them handed back)
//      {op: 'folder-back', id, files: [[[segments...], File]...]}
//      {op: 'timing', url, timing: [start, end]}   (each batch, as `worker.js` does)

// A folder's counts reach the page at most this often: each message costs the page a
// re-render of the panel, and a line of counts needs no more than a few a second.
const FOLDER_PROGRESS_MS = 250;

const folders = new Map();

// Names the server cannot store (as `TreePath::child` refuses them): left for the page to
// refuse and count, as it does for every drop.
const storable = name => name !== '' && name !== '.' && name !== '..' && !/[\/\\\0]/.test(name);

// RFC 3986 unreserved characters stay, everything else is %XX (as `encode_segment`).
const encodeSegment = segment => encodeURIComponent(segment)
  .replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

const folderProgress = (folder, now) => {
  if (!now) {
    if (folder.progressTimer === null) {
      folder.progressTimer = setTimeout(() => folderProgress(folder, true), FOLDER_PROGRESS_MS);
    }
    return;
  }
  if (folder.progressTimer !== null) clearTimeout(folder.progressTimer);
  folder.progressTimer = null;
  if (folder.back.length > 0) {
    postMessage({ op: 'folder-back', id: folder.id, files: folder.back });
    folder.back = [];
  }
  postMessage({
    op: 'folder-progress', id: folder.id, found: folder.found, foundBytes: folder.foundBytes,
    done: folder.done, doneBytes: folder.doneBytes, back: folder.backCount,
    walking: folder.walking, finished: folder.finished,
  });
};

// `counted`: the files were among `found` (a batch did not store them).
const handBack = (folder, files, counted) => {
  for (const [segments, file] of files) {
    folder.back.push([segments, file]);
    if (counted) {
      folder.backCount += 1;
      folder.foundBytes -= file.size;
    }
  }
  folderProgress(folder, false);
};

// Starts batches while there are slots, the folder runs, and enough files wait (or the
// walk is over, or nothing is in flight: the first files go at once).
const pumpFolder = folder => {
  while (!folder.paused && !folder.cancelled && folder.inFlight.size < folder.parallel
      && folder.waiting.length > 0
      && (folder.waiting.length >= folder.batchFiles || !folder.walking || folder.inFlight.size === 0)) {
    const batch = [];
    let bytes = 0;
    while (folder.waiting.length > 0 && batch.length < folder.batchFiles) {
      const next = folder.waiting[0];
      if (batch.length > 0 && bytes + next[1].size > folder.batchBytes) break;
      batch.push(folder.waiting.shift());
      bytes += next[1].size;
    }
    sendFolderBatch(folder, batch);
  }
  if (!folder.walking && folder.inFlight.size === 0 && (folder.waiting.length === 0 || folder.cancelled)) {
    folder.finished = true;
    folderProgress(folder, true);
    folders.delete(folder.id);
  }
};

const landed = (folder, file) => {
  folder.done += 1;
  folder.doneBytes += file.size;
};

// The server's `Repr-Digest` of the file at `url`, or null.
const reprDigest = async (folder, url) => {
  try {
    const headers = folder.headers.filter(([name]) => name.toLowerCase() === 'authorization');
    const response = await fetch(url, { method: 'HEAD', headers });
    return response.ok ? response.headers.get('Repr-Digest') : null;
  } catch (error) {
    return null;
  }
};

// Files a batch found taken (412): a file that holds exactly these bytes is done (the
// folder dropped again, or resumed after a reload); the rest go back to the page, which
// asks about each. A few at a time: each is a HEAD and a read of a tiny file.
const settleTaken = async (folder, files) => {
  const queue = [...files];
  const one = async () => {
    while (queue.length > 0 && !folder.cancelled) {
      const [segments, file] = queue.shift();
      const url = new URL(folder.base + '/' + segments.map(encodeSegment).join('/'), folder.url).href;
      let same = false;
      try {
        const [there, bytes] = await Promise.all([reprDigest(folder, url), file.arrayBuffer()]);
        const ours = 'sha-256=:' + base64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))) + ':';
        same = there !== null && there.trim() === ours;
      } catch (error) {
        same = false;
      }
      if (same) landed(folder, file);
      else handBack(folder, [[segments, file]], true);
    }
  };
  await Promise.all([one(), one(), one(), one()]);
};

const sendFolderBatch = (folder, batch) => {
  const parts = [];
  for (const [segments, file] of batch) {
    const header = { path: folder.base + '/' + segments.map(encodeSegment).join('/'), size: file.size };
    if (folder.createOnly) header.create_only = true;
    parts.push(JSON.stringify(header) + '\n', file);
  }
  const xhr = new XMLHttpRequest();
  folder.inFlight.add(xhr);
  const started = now();
  const settle = results => {
    folder.inFlight.delete(xhr);
    postMessage({ op: 'timing', url: folder.url, timing: [started, now()] });
    if (results === null) {
      // Lost or refused as a whole: each file goes again on its own from the page.
      if (!folder.cancelled) handBack(folder, batch, true);
    } else {
      const taken = [];
      batch.forEach(([segments, file], i) => {
        const status = results[i] ? results[i].status : 0;
        if (status >= 200 && status < 300) {
          landed(folder, file);
        } else if (status === 412) {
          taken.push([segments, file]);
        } else {
          handBack(folder, [[segments, file]], true);
        }
      });
      if (taken.length > 0) {
        // Checked before the batch's slot is free, so a folder dropped again (or resumed
        // after a reload) goes no faster than the checks of what is already there.
        settleTaken(folder, taken).then(() => {
          folder.inFlight.delete(xhr);
          folderProgress(folder, false);
          pumpFolder(folder);
        });
        folder.inFlight.add(xhr);
        return;
      }
    }
    folderProgress(folder, false);
    pumpFolder(folder);
  };
  xhr.onload = () => {
    let results = null;
    if (xhr.status === 200) {
      try {
        const answer = JSON.parse(xhr.responseText);
        if (Array.isArray(answer.results) && answer.results.length === batch.length) {
          results = answer.results;
        }
      } catch (error) {
        results = null;
      }
    }
    settle(results);
  };
  xhr.onerror = () => settle(null);
  xhr.onabort = () => settle(null);
  try {
    xhr.open('POST', folder.url);
    for (const [name, value] of folder.headers) xhr.setRequestHeader(name, value);
    xhr.send(new Blob(parts));
  } catch (error) {
    settle(null);
  }
};

const walkFolder = async folder => {
  const stack = [[folder.handle, [folder.handle.name]]];
  while (stack.length > 0 && !folder.cancelled) {
    const [dir, prefix] = stack.pop();
    let handles = [];
    const take = async () => {
      const files = await Promise.all(handles.map(handle => handle.getFile().catch(() => null)));
      const names = handles.map(handle => handle.name);
      handles = [];
      const back = [];
      files.forEach((file, i) => {
        if (file === null) return;
        const segments = [...prefix, names[i]];
        if (file.size > folder.tinyMax || !segments.every(storable)) {
          back.push([segments, file]);
        } else {
          folder.found += 1;
          folder.foundBytes += file.size;
          folder.waiting.push([segments, file]);
        }
      });
      if (back.length > 0) handBack(folder, back, false);
      folderProgress(folder, false);
      pumpFolder(folder);
    };
    try {
      for await (const child of dir.values()) {
        if (folder.cancelled) break;
        if (child.kind === 'file') {
          handles.push(child);
          if (handles.length >= 256) await take();
        } else {
          stack.push([child, [...prefix, child.name]]);
        }
      }
    } catch (error) {
      // An unreadable folder is skipped, as the page's walks do.
    }
    if (handles.length > 0 && !folder.cancelled) await take();
  }
  folder.walking = false;
  folderProgress(folder, true);
  pumpFolder(folder);
};

const folderOp = message => {
  if (message.op === 'folder') {
    const folder = {
      id: message.id, handle: message.handle, base: message.base.replace(/\/$/, ''),
      url: message.url, headers: message.headers, createOnly: message.createOnly,
      tinyMax: message.tinyMax, batchFiles: message.batchFiles, batchBytes: message.batchBytes,
      parallel: message.parallel, found: 0, foundBytes: 0, done: 0, doneBytes: 0,
      backCount: 0, back: [], waiting: [], inFlight: new Set(), walking: true,
      paused: false, cancelled: false, finished: false, progressTimer: null,
    };
    folders.set(folder.id, folder);
    walkFolder(folder);
    return true;
  }
  const folder = folders.get(message.id);
  if (message.op === 'folder-pause') {
    if (folder) folder.paused = true;
  } else if (message.op === 'folder-resume') {
    if (folder) {
      folder.paused = false;
      pumpFolder(folder);
    }
  } else if (message.op === 'folder-cancel') {
    if (folder) {
      folder.cancelled = true;
      folder.waiting = [];
      for (const xhr of folder.inFlight) xhr.abort();
      pumpFolder(folder);
    }
  } else {
    return false;
  }
  return true;
};
