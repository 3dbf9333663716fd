/**
 * delivery/metrics: counters and a latency histogram of webhook delivery, in a prom-client registry the metrics
 * endpoint will expose, and the outcome of every attempt for whoever counts usage.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export class DeliveryMetrics {
  readonly registry = new Registry();
  readonly delivered = new Counter({ name: 'wa_webhook_delivered_total', help: 'Webhook deliveries answered with 2xx', labelNames: ['subscription'], registers: [this.registry] });
  readonly retried = new Counter({ name: 'wa_webhook_retried_total', help: 'Webhook attempts that failed and were scheduled again', labelNames: ['subscription'], registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'wa_webhook_dead_lettered_total', help: 'Events given up after the retry budget', labelNames: ['subscription'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'wa_webhook_delivery_latency_seconds',
    help: 'From the event being produced to its successful delivery',
    labelNames: ['subscription'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
    registers: [this.registry],
  });
  readonly attempts = new Counter({ name: 'wa_webhook_attempts_total', help: 'Webhook delivery attempts by result and HTTP status class (none: no answer)', labelNames: ['result', 'status_class'], registers: [this.registry] });
  private readonly attemptListeners = new Set<(session: string, delivered: boolean) => void>();

  onAttempt(listener: (session: string, delivered: boolean) => void): () => void {
    this.attemptListeners.add(listener);
    return () => this.attemptListeners.delete(listener);
  }

  attempted(session: string, delivered: boolean, statusCode: number | undefined): void {
    this.attempts.inc({ result: delivered ? 'delivered' : 'failed', status_class: statusCode === undefined ? 'none' : `${Math.floor(statusCode / 100)}xx` });
    for (const listener of this.attemptListeners) listener(session, delivered);
  }
}
