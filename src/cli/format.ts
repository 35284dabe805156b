/** Money as the CLI shows it: dollars with cents. */
export function formatUsd(n: number): string {
  return `$${n.toFixed(2)}`;
}
