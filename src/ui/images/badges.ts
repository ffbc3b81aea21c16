/**
 * A tile's labels grouped by class, so the names fit a small tile: "TSY rusty" when teacher,
 * student and truth agree, "TY rusty · S ok" when only the student differs, and so on.
 */
export function badges(t: number, s: number, y: number): { roles: string; c: number }[] {
  const out: { roles: string; c: number }[] = [];
  for (const [role, c] of [['T', t], ['S', s], ['Y', y]] as const) {
    if (c < 0) continue;
    const b = out.find((x) => x.c === c);
    if (b) b.roles += role;
    else out.push({ roles: role, c });
  }
  return out;
}
