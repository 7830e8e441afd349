import {
  Badge,
  Button,
  Caption1,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  MessageBar,
  MessageBarBody,
  Popover,
  PopoverSurface,
  PopoverTrigger,
  Select,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { pageOf } from './lib/paging';

/** The pieces every page shares: errors, loading, a confirmed action, the one table with paging, ids one click away. */

const useStyles = makeStyles({
  table: { marginBlockEnd: tokens.spacingVerticalL },
  caption: { textAlign: 'start', fontWeight: tokens.fontWeightSemibold, paddingBlockEnd: tokens.spacingVerticalXS },
  paging: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', marginBlockEnd: tokens.spacingVerticalL },
  dialogForm: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  ids: { display: 'grid', gridTemplateColumns: 'max-content 1fr max-content', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalS}`, alignItems: 'center' },
  idRow: { display: 'contents' },
  person: { minWidth: 0, paddingInline: 0, justifyContent: 'flex-start', textAlign: 'start', fontWeight: tokens.fontWeightRegular, textDecorationLine: 'underline', textDecorationStyle: 'dotted', textUnderlineOffset: '3px' },
  code: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
  note: { marginBlock: tokens.spacingVerticalS },
});

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : typeof error === 'string' ? error : 'Something went wrong');

export function ErrorNote({ error }: { error: unknown }) {
  const styles = useStyles();
  if (!error) return null;
  return (
    <div role="alert" className={styles.note}>
      <MessageBar intent="error">
        <MessageBarBody>{messageOf(error)}</MessageBarBody>
      </MessageBar>
    </div>
  );
}

export function Notice({ children, intent = 'success' }: { children: ReactNode; intent?: 'success' | 'info' | 'warning' }) {
  const styles = useStyles();
  return (
    <div role="status" className={styles.note}>
      <MessageBar intent={intent}>
        <MessageBarBody>{children}</MessageBarBody>
      </MessageBar>
    </div>
  );
}

export const Loading = ({ label = 'Loading...' }: { label?: string }) => <Spinner size="tiny" label={label} labelPosition="after" />;

/** Loads once per `key`; `reload()` loads again. A failure is kept as `error` for the page to show. */
export function useLoad<T>(load: () => Promise<T>, key: string): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure each render; `key` says when what it loads changed.
  }, [key, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/**
 * A button that opens a modal dialog (focus moves in, Escape cancels). `children` are the dialog's
 * fields; `onConfirm` runs with the form's data and the dialog shows its error. `ready` keeps the
 * confirm button off until the fields say enough. What `onConfirm` returns runs once the dialog has
 * closed: a change that removes the button (a row leaving a list) must not unmount an open dialog,
 * which would leave the page hidden from screen readers.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  ready?: boolean;
  children?: ReactNode;
  onConfirm: (form: FormData) => Promise<(() => void) | void>;
  onOpenChange?: (open: boolean) => void;
}) {
  const styles = useStyles();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const after = useRef<(() => void) | undefined>(undefined);
  const change = (next: boolean) => {
    setOpen(next);
    setError(undefined);
    props.onOpenChange?.(next);
  };
  return (
    <Dialog
      open={open}
      onOpenChange={(_e, data) => change(data.open)}
      surfaceMotion={{
        onMotionFinish: (_e, data) => {
          if (data.direction !== 'exit') return;
          const next = after.current;
          after.current = undefined;
          if (!next) return;
          // The follow-up may remove the button focus went back to: focus the page first, where its
          // result is shown, so focus is never lost to the document (and Fluent's modal bookkeeping
          // unhides the page at once).
          document.getElementById('main')?.focus();
          next();
        },
      }}
    >
      <DialogTrigger disableButtonEnhancement>
        <Button appearance={props.danger ? 'outline' : 'secondary'}>{props.label}</Button>
      </DialogTrigger>
      <DialogSurface>
        <form
          className={styles.dialogForm}
          onSubmit={(event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            setBusy(true);
            setError(undefined);
            props.onConfirm(data).then(
              (then) => {
                setBusy(false);
                after.current = then ?? undefined;
                change(false);
              },
              (e: unknown) => {
                setBusy(false);
                setError(e);
              },
            );
          }}
        >
          <DialogBody>
            <DialogTitle>{props.title}</DialogTitle>
            <DialogContent className={styles.dialogForm}>
              {props.children}
              <ErrorNote error={error} />
            </DialogContent>
            <DialogActions>
              <DialogTrigger disableButtonEnhancement>
                <Button appearance="secondary">Cancel</Button>
              </DialogTrigger>
              <Button type="submit" appearance="primary" disabled={busy || props.ready === false}>
                {busy ? 'Working...' : props.confirmLabel}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

export interface Column<T> {
  key: string;
  label: string;
  render: (item: T) => ReactNode;
}

/**
 * The one table of the console: a caption, columns, a page at a time in the browser, and, when the
 * API has more, a button that fetches the next page of the listing.
 */
export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  items: readonly T[];
  rowKey: (item: T, index: number) => string;
  pageSize?: number;
  empty?: string;
  more?: { load: () => void; loading: boolean };
}) {
  const styles = useStyles();
  const pageSize = props.pageSize ?? 25;
  const [page, setPage] = useState(0);
  const { shown, current, pages } = pageOf(props.items, page, pageSize);
  const captionId = useId();
  return (
    <>
      <Table className={styles.table} aria-labelledby={captionId} size="small">
        <caption id={captionId} className={styles.caption}>
          {props.caption}
        </caption>
        <TableHeader>
          <TableRow>
            {props.columns.map((c) => (
              <TableHeaderCell key={c.key} scope="col">
                {c.label}
              </TableHeaderCell>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {shown.length === 0 ? (
            <TableRow>
              <TableCell colSpan={props.columns.length}>{props.empty ?? 'None'}</TableCell>
            </TableRow>
          ) : (
            shown.map((item, i) => (
              <TableRow key={props.rowKey(item, current * pageSize + i)}>
                {props.columns.map((c) => (
                  <TableCell key={c.key}>{c.render(item)}</TableCell>
                ))}
              </TableRow>
            ))
          )}
        </TableBody>
      </Table>
      {pages > 1 || props.more ? (
        <nav className={styles.paging} aria-label={`Pages of ${props.caption}`}>
          <Button disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous page
          </Button>
          <Caption1>
            Page {current + 1} of {pages}
          </Caption1>
          <Button disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next page
          </Button>
          {props.more ? (
            <Button disabled={props.more.loading} onClick={props.more.load}>
              {props.more.loading ? 'Loading...' : 'Load more'}
            </Button>
          ) : null}
        </nav>
      ) : null}
    </>
  );
}

/** A name with its ids one click away: a popover listing each id with a copy button. */
export function WithIds({ label, ids }: { label: string; ids: { name: string; value: string | null | undefined }[] }) {
  const styles = useStyles();
  const present = ids.filter((id): id is { name: string; value: string } => Boolean(id.value));
  const [copied, setCopied] = useState('');
  const [copyError, setCopyError] = useState<unknown>();
  if (present.length === 0) return <>{label}</>;
  return (
    <Popover withArrow>
      <PopoverTrigger disableButtonEnhancement>
        <Button appearance="transparent" className={styles.person} aria-label={`${label}: show ids`}>
          {label}
        </Button>
      </PopoverTrigger>
      <PopoverSurface aria-label={`Ids of ${label}`}>
        <div className={styles.ids}>
          {present.map((id) => (
            <div key={id.name} className={styles.idRow}>
              <Text weight="semibold">{id.name}</Text>
              <Text className={styles.code}>{id.value}</Text>
              <Button
                size="small"
                onClick={() => {
                  setCopyError(undefined);
                  navigator.clipboard.writeText(id.value).then(() => setCopied(id.name), setCopyError);
                }}
              >
                {copied === id.name ? 'Copied' : `Copy ${id.name}`}
              </Button>
            </div>
          ))}
        </div>
        <ErrorNote error={copyError} />
      </PopoverSurface>
    </Popover>
  );
}

const BADGE_COLOURS: Record<string, 'success' | 'danger' | 'warning' | 'informative' | 'subtle' | 'important'> = {
  active: 'success',
  completed: 'success',
  delivered: 'success',
  in_stock: 'informative',
  failed: 'danger',
  lost: 'danger',
  quarantined: 'danger',
  retrying: 'warning',
  awaiting_handover: 'warning',
  suspended: 'warning',
  waiting_for_user: 'warning',
  importing: 'warning',
};

/** A status as a badge with words, the code kept for tests and tooltips. */
export function StatusBadge({ code, label }: { code: string; label: string }) {
  return (
    <Badge appearance="tint" color={BADGE_COLOURS[code] ?? 'subtle'} data-status={code}>
      {label}
    </Badge>
  );
}

/** A text field of a submitted form ('' when absent). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

/** A list filter's choice: "Any" first, then each code in words. */
export function AnyOf({ name, value, codes, labelOf }: { name: string; value: string; codes: readonly string[]; labelOf: (code: string) => string }) {
  return (
    <Select name={name} defaultValue={value}>
      <option value="">Any</option>
      {codes.map((code) => (
        <option key={code} value={code}>
          {labelOf(code)}
        </option>
      ))}
    </Select>
  );
}
