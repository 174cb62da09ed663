/**
 * Text from a migration stream (section names, machine types, RAM block ids)
 * reaches error messages and reports byte for byte, and a crafted stream could
 * carry terminal escape sequences. Before such text is printed for a person,
 * C0 and C1 control characters other than tab and newline become `\xHH`.
 * JSON output needs none of this: it is escaped by its own rules.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

// eslint-disable-next-line no-control-regex
const CONTROL_OR_BREAK = /[\x00-\x1f\x7f-\x9f]/g;

const hex = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** For multi-line text of our own (the inspect report): tabs and newlines stay. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, hex);
}

/**
 * For a one-line message (an error): a newline or tab from the stream is
 * escaped too, so it cannot start a line that looks like livemig's own.
 */
export function terminalSafeLine(text: string): string {
  return text.replace(CONTROL_OR_BREAK, hex);
}
