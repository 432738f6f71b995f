// The one formatter of Ajv errors, for the routes' 400s, the clients' input and response checks
// and the event payload checks: each issue as a JSON pointer and a message, and a one-line detail.
import type { ErrorObject } from 'ajv'

export interface ValidationIssue {
  /** JSON pointer to what is wrong: for a missing or unknown property, that property. */
  field: string
  message: string
}

type AjvIssue = Pick<ErrorObject, 'instancePath' | 'keyword' | 'params' | 'message'>

/** A body of a thousand unknown keys is refused with the first few named, not a thousand lines. */
export const maxListedIssues = 10

function fieldOf (issue: AjvIssue): string {
  const property = issue.params as { missingProperty?: unknown, additionalProperty?: unknown }
  const named = property.missingProperty ?? property.additionalProperty
  return typeof named === 'string' ? `${issue.instancePath}/${named}` : issue.instancePath || '/'
}

/** The first maxListedIssues issues. */
export function validationIssues (errors: readonly AjvIssue[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).slice(0, maxListedIssues).map((issue) => ({ field: fieldOf(issue), message: issue.message ?? issue.keyword }))
}

/**
 * One line, `; `-separated: each issue as `<where><field> <message>` (`body/name must be
 * string`), then how many of `total` were not listed.
 */
export function issuesDetail (issues: ValidationIssue[], total: number, where = ''): string {
  const more = total > issues.length ? `; and ${total - issues.length} more` : ''
  return issues.map(({ field, message }) => `${(where + (field === '/' ? '' : field)) || '/'} ${message}`).join('; ') + more
}

/** The one-line detail of a failed validation. */
export function validationDetail (errors: readonly AjvIssue[] | null | undefined, where = ''): string {
  return issuesDetail(validationIssues(errors), errors?.length ?? 0, where)
}
