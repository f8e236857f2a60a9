/** One line of `keypadd doctor`: a name, a verdict, what was found and, when it is not a pass, the fix. */
export type Verdict = 'pass' | 'warn' | 'fail';
export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export const pass = (name: string, detail: string): Check => ({ name, verdict: 'pass', detail });
export const warn = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'fail', detail, fix });
