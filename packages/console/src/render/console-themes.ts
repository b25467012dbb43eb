/**
 * Colors of the light theme. Every one is a custom property users can override on the element.
 * Every text color reads at 4.5:1 or more (WCAG AA) on each row background (plain, hover, selected,
 * permalink target), checked by axe in the tests. ANSI "white" is a dark grey here, as ANSI "black"
 * is a light grey in the dark theme, so no color a program prints vanishes into the background.
 */
export const LIGHT = `
  --ll-bg: #ffffff; --ll-fg: #1f2328; --ll-muted: #59636e; --ll-border: #d0d7de; --ll-panel: #f6f8fa;
  --ll-accent: #0969da; --ll-accent-fg: #ffffff; --ll-selected: #ddf4ff; --ll-target: #fff8c5;
  --ll-gap-bg: #fff1e5; --ll-gap-fg: #953800; --ll-danger: #cf222e; --ll-ok: #1a7f37; --ll-warn: #9a6700;
  --ll-level-trace: #59636e; --ll-level-debug: #0550ae; --ll-level-info: #197c36; --ll-level-warn: #926200;
  --ll-level-error: #cf222e; --ll-level-fatal: #cf222e; --ll-level-fatal-fg: #ffffff;
  --ll-mark-0: #fff176; --ll-mark-1: #b3e5fc; --ll-mark-2: #c8e6c9; --ll-mark-3: #f8bbd0; --ll-mark-4: #ffe0b2; --ll-mark-5: #d1c4e9;
  --ll-mark-fg: #1f2328;
  --ll-ansi-0: #1f2328; --ll-ansi-1: #b31d28; --ll-ansi-2: #197c36; --ll-ansi-3: #7d5d00; --ll-ansi-4: #0550ae;
  --ll-ansi-5: #7e4ed8; --ll-ansi-6: #0e7490; --ll-ansi-7: #59636e; --ll-ansi-8: #656d77; --ll-ansi-9: #cf222e;
  --ll-ansi-10: #116329; --ll-ansi-11: #7d5d00; --ll-ansi-12: #0969da; --ll-ansi-13: #a626a4; --ll-ansi-14: #0e7490;
  --ll-ansi-15: #1f2328;
  color-scheme: light;
`;

/** Colors of the dark theme: the same properties. */
export const DARK = `
  --ll-bg: #0d1117; --ll-fg: #e6edf3; --ll-muted: #9198a1; --ll-border: #30363d; --ll-panel: #161b22;
  --ll-accent: #4493f8; --ll-accent-fg: #0d1117; --ll-selected: #182738; --ll-target: #2d250c;
  --ll-gap-bg: #3d2410; --ll-gap-fg: #ffb77c; --ll-danger: #f85149; --ll-ok: #3fb950; --ll-warn: #d29922;
  --ll-level-trace: #9198a1; --ll-level-debug: #58a6ff; --ll-level-info: #3fb950; --ll-level-warn: #d29922;
  --ll-level-error: #f85149; --ll-level-fatal: #da3633; --ll-level-fatal-fg: #ffffff;
  --ll-mark-0: #806c00; --ll-mark-1: #0b4f71; --ll-mark-2: #1b5e20; --ll-mark-3: #7a1f45; --ll-mark-4: #7a4100; --ll-mark-5: #4a2a80;
  --ll-mark-fg: #ffffff;
  --ll-ansi-0: #8a8e94; --ll-ansi-1: #ff7b72; --ll-ansi-2: #3fb950; --ll-ansi-3: #d29922; --ll-ansi-4: #58a6ff;
  --ll-ansi-5: #bc8cff; --ll-ansi-6: #39c5cf; --ll-ansi-7: #b1bac4; --ll-ansi-8: #a0a8b2; --ll-ansi-9: #ffa198;
  --ll-ansi-10: #56d364; --ll-ansi-11: #e3b341; --ll-ansi-12: #79c0ff; --ll-ansi-13: #d2a8ff; --ll-ansi-14: #56d4dd;
  --ll-ansi-15: #ffffff;
  color-scheme: dark;
`;
