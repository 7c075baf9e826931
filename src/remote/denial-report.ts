// denialReporter is what NamespaceAccess calls on each refusal: the
// refusal is counted (berth_permission_denied_total), written to the log at
// warn with the method, the namespace asked and the certificate's names, and
// handed to onError, so that an operator sees who was turned away without
// turning on the debug line of every call. A certificate's names are not
// secret (the client showed them to be checked); nothing of the request is
// in the line.
import type { Logger } from "../log/create-logger.js";
import { permissionDenied } from "../errors/berth-error.js";
import type { DaemonMetrics } from "../metrics/daemon-metrics.js";
import { ALL_NAMESPACES, ANY_NAMESPACE } from "./namespace-access.js";

export function denialReporter(logger: Logger, metrics: DaemonMetrics | undefined, onError: ((err: unknown) => void) | undefined) {
  return (namespace: string, who: string, method: string): void => {
    metrics?.denied(namespace);
    const where = namespace === ALL_NAMESPACES ? "every namespace" : namespace === ANY_NAMESPACE ? "the daemon" : `namespace ${namespace}`;
    const message = `authorization refused ${method} in ${where} to ${who}`;
    logger.warn({ denied: { method, namespace: where, identity: who } }, message);
    onError?.(permissionDenied(message));
  };
}
