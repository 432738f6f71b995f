// Text the platform writes on its own (a failure's reason, taken from an error message) must be
// storable whatever it holds, or the write that ends a piece of work fails and the work stays
// unfinished: PostgreSQL refuses a NUL in text and SQLite keeps a lone surrogate as bytes that are
// not UTF-8. Such characters become U+FFFD, and the text is cut to a length a column and a log keep.
export function storableText (text: string, maxLength: number): string {
  const kept = text.replaceAll('\u0000', '\uFFFD').toWellFormed()
  return kept.length <= maxLength ? kept : `${kept.slice(0, maxLength - 1)}…`
}
