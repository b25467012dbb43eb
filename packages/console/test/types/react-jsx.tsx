// Compiled by react-typings.test.ts, never run: what an app gets from `@livelog/console/react`.
import type {} from '@livelog/console/react';

export function Logs({ token }: { token: string }) {
  return (
    <livelog-console
      src="/logs"
      token={token}
      level="warn"
      max-lines={5000}
      theme="dark"
      onlivelog-select={(event) => console.log(event.detail.entry?.msg)}
      onlivelog-status={(event) => console.log(event.detail.lag, event.detail.state)}
      onlivelog-gap={(event) => console.log(event.detail.missed)}
    />
  );
}

export function Wrong() {
  return (
    <>
      {/* @ts-expect-error theme is auto, light or dark */}
      <livelog-console theme="purple" />
      {/* @ts-expect-error tail is a number */}
      <livelog-console tail={{ lines: 3 }} />
      {/* @ts-expect-error the select event's detail has no `lag` */}
      <livelog-console onlivelog-select={(event) => event.detail.lag} />
    </>
  );
}
