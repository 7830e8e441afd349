import { Button, Field, Input, Label, ProgressBar, Select, Text, Textarea, makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useId, useState } from 'react';
import type { Api } from '../api';
import { importContentType, importOutcomeOf, serialsFrom, type ImportOutcome, type ImportRowError } from '../lib/imports';
import { DataTable, ErrorNote, field, Notice } from '../ui';
import { PageTitle, Section } from './common';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '40rem', alignItems: 'flex-start' },
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(14rem, 1fr))', gap: tokens.spacingVerticalM, alignItems: 'end', maxWidth: '60rem' },
  dropzone: { border: `2px dashed ${tokens.colorNeutralStroke1}`, borderRadius: tokens.borderRadiusMedium, padding: tokens.spacingHorizontalL, alignSelf: 'stretch' },
  dragging: { border: `2px dashed ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorNeutralBackground2 },
});

function SeedFileImport({ api }: { api: Api }) {
  const styles = useStyles();
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState<number>();
  const [outcome, setOutcome] = useState<ImportOutcome>();
  const [error, setError] = useState<unknown>();
  const [dragging, setDragging] = useState(false);
  const fileId = useId();
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
    <Section title="Import a seed file" id="import">
      <Text block>The Entra portal CSV (upn, serial number, secret key, time interval, manufacturer, model; optional hash function, pool, seed encoding) or Token2's JSON seed file, up to 5 MB.</Text>
      <form
        className={styles.form}
        onSubmit={(event) => {
          event.preventDefault();
          void upload(field(new FormData(event.currentTarget), 'seedEncoding'));
        }}
      >
        <div
          className={dragging ? `${styles.dropzone} ${styles.dragging}` : styles.dropzone}
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
          <Label htmlFor={fileId} weight="semibold">
            Seed file (drop it here or choose it)
          </Label>{' '}
          <input id={fileId} type="file" name="file" accept=".csv,.json,text/csv,application/json" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
          {file ? <Text block>Chosen: {file.name} ({file.size} bytes)</Text> : null}
        </div>
        <Field label="Seeds in the file are">
          <Select name="seedEncoding" defaultValue="base32">
            <option value="base32">Base32 (unless a row's seed encoding column says otherwise)</option>
            <option value="hex">hex</option>
          </Select>
        </Field>
        <Button type="submit" appearance="primary" disabled={!file}>
          Import
        </Button>
      </form>
      {progress !== undefined ? (
        <Field label="Upload" validationMessage={`${Math.round(progress * 100)}%`} validationState="none">
          <ProgressBar value={progress} max={1} />
        </Field>
      ) : null}
      <ErrorNote error={error} />
      {outcome ? (
        <>
          <Notice intent={outcome.errors.length > 0 ? 'warning' : 'success'}>
            Imported {outcome.imported}, unchanged {outcome.unchanged}, rejected {outcome.errors.length}.
          </Notice>
          {outcome.errors.length > 0 ? (
            <DataTable
              caption="Rejected rows"
              columns={[
                { key: 'line', label: 'Line', render: (e: ImportRowError) => e.line ?? '' },
                { key: 'serial', label: 'Serial', render: (e) => e.serial ?? '' },
                { key: 'reason', label: 'Reason', render: (e) => e.reason },
              ]}
              items={outcome.errors}
              rowKey={(_e, i) => String(i)}
            />
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

/** Seeds are shown once: the CSV lives in memory for one download, then the link is gone. */
function GenerateSeeds({ api }: { api: Api }) {
  const styles = useStyles();
  const [download, setDownload] = useState<{ url: string; name: string }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => () => (download ? URL.revokeObjectURL(download.url) : undefined), [download]);
  return (
    <Section title="Generate seeds for programmable tokens" id="seeds">
      <form
        className={styles.grid}
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setError(undefined);
          api
            .postText('tokens/seeds', {
              serials: serialsFrom(field(form, 'serials')),
              manufacturer: field(form, 'manufacturer'),
              model: field(form, 'model'),
              timeIntervalInSeconds: Number(field(form, 'interval')),
              hashFunction: field(form, 'hash'),
              pool: field(form, 'pool'),
            })
            .then((csv) => setDownload({ url: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), name: `seeds-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv` }), setError);
        }}
      >
        <Field label="Serial numbers (one per line)" required>
          <Textarea name="serials" rows={4} required />
        </Field>
        <Field label="Manufacturer" required>
          <Input name="manufacturer" defaultValue="Token2" required />
        </Field>
        <Field label="Model" required>
          <Input name="model" defaultValue="miniOTP-3" required />
        </Field>
        <Field label="Time interval">
          <Select name="interval" defaultValue="30">
            <option value="30">30 seconds</option>
            <option value="60">60 seconds</option>
          </Select>
        </Field>
        <Field label="Hash function">
          <Select name="hash" defaultValue="hmacsha1">
            <option value="hmacsha1">HMAC-SHA1</option>
            <option value="hmacsha256">HMAC-SHA256</option>
          </Select>
        </Field>
        <Field label="Pool">
          <Input name="pool" />
        </Field>
        <Button type="submit" appearance="primary">
          Generate
        </Button>
      </form>
      <ErrorNote error={error} />
      {download ? (
        <Notice intent="warning">
          The seeds are ready. They are shown this once:{' '}
          <a href={download.url} download={download.name} onClick={() => setTimeout(() => setDownload(undefined), 0)}>
            download {download.name}
          </a>
        </Notice>
      ) : null}
    </Section>
  );
}

export function Imports({ api }: { api: Api }) {
  return (
    <>
      <PageTitle>Imports</PageTitle>
      <SeedFileImport api={api} />
      <GenerateSeeds api={api} />
    </>
  );
}
