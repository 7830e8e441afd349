import { useEffect, useRef, useState, type ReactNode } from 'react';

/** Small shared pieces: a confirmation dialog, loading state, errors. */

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error instanceof Error ? error.message : 'Something went wrong'}
    </p>
  );
}

/** Loads once per `key`; `reload()` loads again. */
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
  }, [key, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/**
 * An action confirmed in a modal <dialog> (focus moves into it, Escape cancels). `children` are the
 * dialog's fields; `onConfirm` runs with the form's data and the dialog shows its error, if any.
 */
export function ConfirmButton(props: { label: string; title: string; confirmLabel: string; danger?: boolean; children?: ReactNode; onConfirm: (form: FormData) => Promise<void> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button type="button" className={props.danger ? 'danger' : ''} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={`${props.label}-title`.replace(/\W+/g, '-')} onClose={() => setError(undefined)}>
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            setBusy(true);
            setError(undefined);
            props.onConfirm(data).then(
              () => {
                setBusy(false);
                dialog.current?.close();
              },
              (e: unknown) => {
                setBusy(false);
                setError(e);
              },
            );
          }}
        >
          <h2 id={`${props.label}-title`.replace(/\W+/g, '-')}>{props.title}</h2>
          {props.children}
          <ErrorNote error={error} />
          <div className="buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className={props.danger ? 'danger' : 'primary'} disabled={busy}>
              {busy ? 'Working...' : props.confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export const formatTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '');

/** A text field of a submitted form ('' when absent). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
