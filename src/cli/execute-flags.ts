/** Run flags shared by run, resume and retry (and the in-process emulator's callback mode). */
export interface ExecuteFlags {
  /** Re-hash every downloaded clip instead of trusting unchanged size + mtime + inode. */
  verify?: boolean;
  resubmitUnknown?: boolean;
  listen?: string;
  publicUrl?: string;
  submitPerMin?: number;
  maxInFlight?: number;
  /** Print one JSON summary on stdout (the status shape + deferred + report) instead of the lines. */
  json?: boolean;
  /** Open the HTML report when the run ends (platform opener). */
  open?: boolean;
  /** When the run ends, POST the summary JSON to this http(s) URL or pipe it to this command. */
  notify?: string;
}
