/**
 * Escaping for the two contexts the report writes untrusted text into: HTML
 * (labels, details, error messages from a run) and an inline JSON data block.
 * Both matter because a record may come from a file someone else saved.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value → HTML. Quotes too, so the result is safe in attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * A value as JSON that is safe inside `<script type="application/json">`.
 * The HTML parser ends a script element at the first `</script`, whatever the
 * JSON means, so `<` and `>` become \u escapes (valid in JSON strings, the only
 * place they can appear); `&` likewise, so no parser ever sees an entity.
 * U+2028/U+2029 are escaped because older JavaScript treats them as line ends.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Inline JavaScript from a file: make sure no `</script` inside it closes our element. */
export function inlineScriptText(js: string): string {
  // Only strings, regular expressions and comments can contain "</script";
  // "<\/" means the same as "</" in all three.
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** Inline CSS from a file: the same for `</style`. */
export function inlineStyleText(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}
