/**
 * Where the engine reports what happens in the background. The argument order is pino's, so a pino
 * or Fastify logger can be passed as is (`log: app.log`). Every method is optional.
 */
export interface EngineLog {
  debug?(details: Record<string, unknown>, message: string): void;
  warn?(details: Record<string, unknown>, message: string): void;
  error?(details: Record<string, unknown>, message: string): void;
}
