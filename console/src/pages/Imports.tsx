import { useEffect, useState } from 'react';
import type { Api } from '../api';
import { importContentType, importOutcomeOf, serialsFrom, type ImportOutcome } from '../lib/imports';
import { ErrorNote, field } from '../ui';

function SeedFileImport({ api }: { api: Api }) {
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState<number>();
  const [outcome, setOutcome] = useState<ImportOutcome>();
  const [error, setError] = useState<unknown>();
  const [dragging, setDragging] = useState(false);
  const upload = async (seedEncoding: string) => {
    if (!file) return;
    setOutcome(undefined);
    setError(undefined);
    setProgress(0);
    try {
      const body = await api.upload(`tokens/import${seedEncoding === 'hex' ? '?seedEncoding=hex' : ''}`, file, importContentType(file.name, file.type), setProgress);
      setOutcome(importOutcomeOf(body));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="import">
      <h2 id="import">Import a seed file</h2>
      <p>The Entra portal CSV (upn, serial number, secret key, time interval, manufacturer, model; optional hash function, pool, seed encoding) or Token2's JSON seed file, up to 5 MB.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void upload(field(new FormData(event.currentTarget), 'seedEncoding'));
        }}
      >
        <div
          className={dragging ? 'dropzone dragging' : 'dropzone'}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            const dropped = event.dataTransfer.files[0];
            if (dropped) setFile(dropped);
          }}
        >
          <label>
            Seed file (drop it here or choose it)
            <input type="file" name="file" accept=".csv,.json,text/csv,application/json" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
          </label>
          {file ? <p>Chosen: {file.name} ({file.size} bytes)</p> : null}
        </div>
        <label>
          Seeds in the file are
          <select name="seedEncoding" defaultValue="base32">
            <option value="base32">Base32 (unless a row's seed encoding column says otherwise)</option>
            <option value="hex">hex</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={!file}>
          Import
        </button>
      </form>
      {progress !== undefined ? (
        <label className="progress">
          Upload
          <progress max={1} value={progress}>
            {Math.round(progress * 100)}%
          </progress>
        </label>
      ) : null}
      <ErrorNote error={error} />
      {outcome ? (
        <div role="status">
          <p>
            Imported {outcome.imported}, unchanged {outcome.unchanged}, rejected {outcome.errors.length}.
          </p>
          {outcome.errors.length > 0 ? (
            <table>
              <caption>Rejected rows</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Serial</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {outcome.errors.map((e, i) => (
                  <tr key={i}>
                    <td>{e.line ?? ''}</td>
                    <td>{e.serial ?? ''}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** Seeds are shown once: the CSV lives in memory for one download, then the link is gone. */
function GenerateSeeds({ api }: { api: Api }) {
  const [download, setDownload] = useState<{ url: string; name: string }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => () => (download ? URL.revokeObjectURL(download.url) : undefined), [download]);
  return (
    <section aria-labelledby="seeds">
      <h2 id="seeds">Generate seeds for programmable tokens</h2>
      <form
        className="grid"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setError(undefined);
          api
            .postText('tokens/seeds', {
              serials: serialsFrom(field(form, 'serials')),
              manufacturer: form.get('manufacturer'),
              model: form.get('model'),
              timeIntervalInSeconds: Number(form.get('interval')),
              hashFunction: form.get('hash'),
              pool: form.get('pool'),
            })
            .then((csv) => setDownload({ url: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), name: `seeds-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv` }), setError);
        }}
      >
        <label>
          Serial numbers (one per line)
          <textarea name="serials" rows={4} required />
        </label>
        <label>
          Manufacturer
          <input name="manufacturer" defaultValue="Token2" required />
        </label>
        <label>
          Model
          <input name="model" defaultValue="miniOTP-3" required />
        </label>
        <label>
          Time interval
          <select name="interval" defaultValue="30">
            <option value="30">30 seconds</option>
            <option value="60">60 seconds</option>
          </select>
        </label>
        <label>
          Hash function
          <select name="hash" defaultValue="hmacsha1">
            <option value="hmacsha1">HMAC-SHA1</option>
            <option value="hmacsha256">HMAC-SHA256</option>
          </select>
        </label>
        <label>
          Pool
          <input name="pool" />
        </label>
        <button type="submit" className="primary">
          Generate
        </button>
      </form>
      <ErrorNote error={error} />
      {download ? (
        <p role="status">
          The seeds are ready. They are shown this once:{' '}
          <a href={download.url} download={download.name} onClick={() => setTimeout(() => setDownload(undefined), 0)}>
            download {download.name}
          </a>
        </p>
      ) : null}
    </section>
  );
}

export function Imports({ api }: { api: Api }) {
  return (
    <>
      <h1>Imports</h1>
      <SeedFileImport api={api} />
      <GenerateSeeds api={api} />
    </>
  );
}
