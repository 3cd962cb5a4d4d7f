/** "a, b, c" in a step becomes ["a", "b", "c"]. */
export function names(list: string): string[] {
  return list.split(',').map((n) => n.trim()).filter(Boolean);
}
