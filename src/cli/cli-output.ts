/** Where a command writes: stdout for results (pipeable), stderr for messages. Tests capture both. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}
