/** A button-looking file picker (the input stays reachable by keyboard and by its label). */
export function FilePicker(props: { label: string; accept?: string; directory?: boolean; multiple?: boolean; onFiles: (f: File[]) => void }) {
  return (
    <label className="row" style={{ cursor: 'pointer' }}>
      <span className="small" style={{ border: '1px solid var(--line-strong)', borderRadius: 4, padding: '3px 6px', background: '#fff' }}>{props.label}</span>
      <input type="file" className="sr-only" aria-label={props.label} accept={props.accept} multiple={props.multiple}
        {...(props.directory ? { webkitdirectory: '', directory: '' } as Record<string, string> : {})}
        onChange={(e) => { props.onFiles(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
    </label>
  );
}
