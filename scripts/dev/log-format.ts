/** The LOG_FORMAT npm run dev gives the server: one set (not empty) wins; else pretty on a terminal, JSON into a pipe or file. */
export function logFormatFor (env: NodeJS.ProcessEnv, isTTY: boolean | undefined): string {
  return env.LOG_FORMAT || (isTTY === true ? 'pretty' : 'json')
}
