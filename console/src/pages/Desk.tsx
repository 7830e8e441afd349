import { Button, Field, Input, Link, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import type { Api } from '../api';
import { handoversPath, nextShipment, pickListCsv, SHIPPING_FILTERS, type HandoverLine } from '../lib/desk';
import { formatTime, personLabel, shippingLabel } from '../lib/labels';
import type { Abilities } from '../lib/roles';
import { AnyOf, ConfirmButton, DataTable, ErrorNote, field, Loading, Notice, StatusBadge, useLoad, WithIds } from '../ui';
import { PageTitle, useLayout } from './common';
import { HandoverButton } from './Tokens';

const useStyles = makeStyles({ actions: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalXS } });

function ShipButton({ api, line, status, onDone }: { api: Api; line: HandoverLine; status: 'shipped' | 'delivered'; onDone: (text: string) => void }) {
  const who = personLabel(line);
  return (
    <ConfirmButton
      label={status === 'shipped' ? `Mark ${line.serialNumber} shipped` : `Mark ${line.serialNumber} delivered`}
      title={status === 'shipped' ? `Ship token ${line.serialNumber} to ${line.site || 'the shared desk'} for ${who}` : `Token ${line.serialNumber} for ${who} arrived at ${line.site || 'the shared desk'}`}
      confirmLabel={status === 'shipped' ? 'Mark shipped' : 'Mark delivered'}
      onConfirm={async (form) => {
        const tracking = field(form, 'tracking').trim();
        const answer = await api.post<{ serialNumber: string; shipping: string; changed: boolean }>(`tokens/${encodeURIComponent(line.serialNumber)}/shipment`, { status, ...(tracking ? { tracking } : {}) });
        return () => onDone(`${answer.serialNumber}: ${shippingLabel(answer.shipping).toLowerCase()}${answer.changed ? '' : ' (it already was)'}`);
      }}
    >
      {status === 'shipped' ? (
        <Field label="Tracking number (optional)" hint="1-100 letters, digits, spaces or ._/:-">
          <Input name="tracking" maxLength={100} />
        </Field>
      ) : (
        <Text>The token is at the site's desk, ready to be handed over to {who}.</Text>
      )}
    </ConfirmButton>
  );
}

/** The desk's page: tokens waiting for hand-over, where they are on their way, and the hand-over itself. */
export function Desk({ api, can }: { api: Api; can: Abilities }) {
  const styles = useStyles();
  const layout = useLayout();
  const [query, setQuery] = useState<{ location: string; status: string }>({ location: '', status: '' });
  const [done, setDone] = useState('');
  const path = handoversPath(query);
  const { data, error, loading, reload } = useLoad(() => api.get<{ handovers: HandoverLine[] }>(path).then((a) => a.handovers), path);
  const [download, setDownload] = useState<string>();
  useEffect(() => () => (download ? URL.revokeObjectURL(download) : undefined), [download]);
  const finished = (text: string) => {
    setDone(text);
    reload();
  };
  const mayAct = can.desk;
  return (
    <>
      <PageTitle>Desk</PageTitle>
      <Text block>The pick list: tokens waiting for their hand-over, per site, with their way there. Hand a token over in front of its new holder with the code it shows.</Text>
      <form
        className={layout.row}
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setQuery({ location: field(form, 'location'), status: field(form, 'status') });
        }}
      >
        <Field label="Site">
          <Input name="location" defaultValue={query.location} />
        </Field>
        <Field label="Shipping">
          <AnyOf name="status" value={query.status} codes={SHIPPING_FILTERS} labelOf={shippingLabel} />
        </Field>
        <Button type="submit" appearance="primary">
          Show
        </Button>
        {data && data.length > 0 ? (
          <Button onClick={() => setDownload(URL.createObjectURL(new Blob([pickListCsv(data)], { type: 'text/csv' })))}>Prepare the CSV for labels</Button>
        ) : null}
        {download ? (
          <Link href={download} download="pick-list.csv">
            Download pick-list.csv
          </Link>
        ) : null}
      </form>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <DataTable
          caption={`Waiting for hand-over (${data.length})`}
          columns={[
            { key: 'site', label: 'Site', render: (h: HandoverLine) => h.site || '(shared)' },
            { key: 'serial', label: 'Serial', render: (h) => (can.read ? <Link href={`#/tokens/${encodeURIComponent(h.serialNumber)}`}>{h.serialNumber}</Link> : h.serialNumber) },
            { key: 'who', label: 'For', render: (h) => <WithIds label={personLabel(h)} ids={[{ name: 'UPN', value: h.userPrincipalName }, { name: 'Employee id', value: h.employeeId }]} /> },
            { key: 'since', label: 'Waiting since', render: (h) => formatTime(h.since) },
            { key: 'shipping', label: 'Shipping', render: (h) => <StatusBadge code={h.shipping} label={shippingLabel(h.shipping)} /> },
            { key: 'tracking', label: 'Tracking', render: (h) => h.tracking ?? '' },
            { key: 'model', label: 'Model', render: (h) => `${h.manufacturer} ${h.model}` },
            ...(mayAct
              ? [
                  {
                    key: 'actions',
                    label: 'Actions',
                    render: (h: HandoverLine) => {
                      const next = nextShipment(h.shipping);
                      return (
                        <div className={styles.actions}>
                          {next ? <ShipButton api={api} line={h} status={next} onDone={finished} /> : null}
                          <HandoverButton api={api} serial={h.serialNumber} who={personLabel(h)} onDone={finished} />
                        </div>
                      );
                    },
                  },
                ]
              : []),
          ]}
          items={data}
          rowKey={(h) => h.serialNumber}
          empty="Nothing waits for hand-over"
        />
      ) : null}
    </>
  );
}
