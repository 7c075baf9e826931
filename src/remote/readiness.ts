// Readiness decides the daemon's health status: SERVING once restore has
// finished (the caller probes only then) and the runtime answers, NOT_SERVING
// from drain() on. A runtime that does not answer (runc or conmon missing)
// leaves the daemon NOT_SERVING and is asked again every RETRY_MS, so a
// binary installed later makes the daemon healthy without a restart.
import { ServingStatus, type ServingHealth } from "./health-service.js";

const RETRY_MS = 5000;

export class Readiness {
  #draining = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly health: ServingHealth,
    // runtimeAnswers resolves when runc and conmon answer.
    private readonly runtimeAnswers: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  async probe(): Promise<void> {
    this.#retry = undefined;
    try {
      await this.runtimeAnswers();
    } catch (err) {
      if (this.#draining) return;
      this.onError(err);
      this.#retry = setTimeout(() => void this.probe(), RETRY_MS).unref();
      return;
    }
    if (!this.#draining) this.health.set(ServingStatus.SERVING);
  }

  drain(): void {
    this.#draining = true;
    clearTimeout(this.#retry);
    this.health.set(ServingStatus.NOT_SERVING);
  }
}
