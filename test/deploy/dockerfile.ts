// A small Dockerfile reader: enough to check the image's steps and to follow them without Docker.
export interface Instruction { keyword: string, args: string }
export interface Stage { name: string, from: string, instructions: Instruction[] }

export function parseDockerfile (text: string): Stage[] {
  const stages: Stage[] = []
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim())
  for (const line of logical) {
    if (line === '' || line.startsWith('#')) continue
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === 'FROM') {
      const [from, , name] = args.split(/\s+/)
      stages.push({ name: name ?? String(stages.length), from, instructions: [] })
      continue
    }
    if (stages.length === 0) throw new Error(`${keyword} before the first FROM`)
    stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') })
  }
  return stages
}

export function stage (stages: Stage[], name: string): Stage {
  const found = stages.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`no stage named ${name} (stages: ${stages.map((s) => s.name).join(', ')})`)
  return found
}

export function args (stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)
}

export interface Copy { from?: string, sources: string[], destination: string }

export function copies (stage: Stage): Copy[] {
  return args(stage, 'COPY').map((line) => {
    const words = line.split(' ')
    const flags = words.filter((word) => word.startsWith('--'))
    const paths = words.filter((word) => !word.startsWith('--'))
    const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length)
    return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! }
  })
}

/** ENV KEY=value pairs (the one-pair-per-line `ENV KEY value` form too). */
export function env (stage: Stage): Record<string, string> {
  const result: Record<string, string> = {}
  for (const line of args(stage, 'ENV')) {
    if (!line.includes('=')) {
      const [key, ...value] = line.split(' ')
      result[key] = value.join(' ')
      continue
    }
    for (const pair of line.split(' ')) {
      const [key, ...value] = pair.split('=')
      result[key] = value.join('=')
    }
  }
  return result
}

/** The exec form of CMD or ENTRYPOINT (a JSON array); the shell form is refused (signals would go to sh). */
export function execForm (stage: Stage, keyword: 'CMD' | 'ENTRYPOINT'): string[] | undefined {
  const line = args(stage, keyword).at(-1)
  if (line === undefined) return undefined
  const parsed: unknown = JSON.parse(line)
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) throw new Error(`${keyword} is not in exec form: ${line}`)
  return parsed
}
