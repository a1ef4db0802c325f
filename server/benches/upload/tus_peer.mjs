// The tus peer of the upload benchmark (`peers/tus.rs` starts it): one Node process that
// serves, on one loopback port (so the page needs no CORS),
//   - `/`             a page with a file input that uploads the picked file with
//                      tus-js-client (chunk size from `?chunk=BYTES`, else Infinity),
//   - `/tus.min.js`   tus-js-client's browser build, from the installed package,
//   - `/files/…`      @tus/server 2 with @tus/file-store, storing into STORE_DIR.
// The page records its own clock: `window.uploadPicked` at the input's change event,
// `window.uploadDone` when tus-js-client reports success (with `window.uploadUrl`), or
// `window.uploadFailed` with the error. Nothing here retries: a failed upload fails the run.
//
// Usage: node tus_peer.mjs NODE_MODULES STORE_DIR
// Prints `tus peer listening on http://127.0.0.1:PORT` once it listens.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, storeDir] = process.argv.slice(2);
if (!modules || !storeDir) {
    console.error('usage: node tus_peer.mjs NODE_MODULES STORE_DIR');
    process.exit(2);
}
// The packages live under target/node, not next to this script: import them by path.
const load = relative => import(pathToFileURL(path.join(modules, relative)).href);
const { Server } = await load('@tus/server/dist/index.js');
const { FileStore } = await load('@tus/file-store/dist/index.js');
const clientScript = path.join(modules, 'tus-js-client/dist/tus.min.js');
if (!fs.existsSync(clientScript)) {
    console.error(`missing ${clientScript}: run \`cargo xtask bench\` (it installs tus-js-client)`);
    process.exit(2);
}

const tus = new Server({
    path: '/files',
    datastore: new FileStore({ directory: storeDir }),
});

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>tus-js-client upload</title></head>
<body>
<label>File to upload <input type="file" id="file"></label>
<p id="status">Pick a file.</p>
<script src="/tus.min.js"></script>
<script>
const chunk = Number(new URLSearchParams(location.search).get('chunk')) || Infinity;
const status = document.getElementById('status');
document.getElementById('file').addEventListener('change', event => {
    window.uploadPicked = performance.now();
    const file = event.target.files[0];
    const upload = new tus.Upload(file, {
        endpoint: '/files/',
        chunkSize: chunk,
        retryDelays: [],
        storeFingerprintForResuming: false,
        metadata: { filename: file.name, filetype: file.type },
        onError: error => {
            window.uploadFailed = String(error);
            status.textContent = 'Failed: ' + error;
        },
        onSuccess: () => {
            window.uploadDone = performance.now();
            window.uploadUrl = upload.url;
            status.textContent = 'Done.';
        },
    });
    status.textContent = 'Uploading ' + file.name + '…';
    upload.start();
});
</script>
</body>
</html>
`;

const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname.startsWith('/files')) {
        tus.handle(req, res);
    } else if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
    } else if (req.method === 'GET' && url.pathname === '/tus.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        fs.createReadStream(clientScript).pipe(res);
    } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
});
server.listen(0, '127.0.0.1', () => {
    console.log(`tus peer listening on http://127.0.0.1:${server.address().port}`);
});
