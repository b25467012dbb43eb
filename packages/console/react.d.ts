// React 19 JSX typings for <livelog-console> (hand-written; the attribute list is the element's, in
// custom-elements.json). Opt in from any .ts or .tsx file of the app:
//   import type {} from '@livelog/console/react';
// React 19 sets a custom element's properties (`token`, `maxLines`) and adds `on<event>` listeners
// directly; React 18 needs a ref for both.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { LivelogConsole, LivelogConsoleEventMap } from './dist/lib/index.js';

/** `onlivelog-status`, `onlivelog-select`, … with the event's detail typed. */
export type LivelogConsoleEventProps = {
  [K in keyof LivelogConsoleEventMap as `on${K}`]?: (event: CustomEvent<LivelogConsoleEventMap[K]>) => void;
};

/** What JSX may set on `<livelog-console>`: its properties, their attribute spellings, and its events. */
export interface LivelogConsoleProps
  extends Partial<
      Pick<LivelogConsole, 'src' | 'token' | 'tail' | 'level' | 'source' | 'maxLines' | 'theme' | 'wrap' | 'utc' | 'globalShortcuts'>
    >,
    LivelogConsoleEventProps {
  'max-lines'?: number | string;
  'global-shortcuts'?: boolean;
}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'livelog-console': DetailedHTMLProps<HTMLAttributes<LivelogConsole>, LivelogConsole> & LivelogConsoleProps;
    }
  }
}
