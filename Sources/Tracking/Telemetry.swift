import CoreMetrics
import Prometheus
import Synchronization

/// The daemon's metrics, served as Prometheus text on `GET /metrics`.
///
/// Metric objects are swift-metrics ones, each backed by a handler made in this registry with its help
/// text (the global `MetricsSystem` is never bootstrapped: a library does not own it, and two daemons in
/// one test process must not share counters). Labels stay low-cardinality: rule names, reasons,
/// channels, outcomes, states and hit kinds, never customers or message ids.
public final class Telemetry: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    private let applied: CoreMetrics.Counter
    private let quarantined: CoreMetrics.Counter
    private let late: CoreMetrics.Counter
    private let outboxRows: [String: Meter]
    private let oldestDue: Meter
    private let labelled = Mutex<[String: CoreMetrics.Counter]>([:])
    private let latencies = Mutex<[String: CoreMetrics.Timer]>([:])

    /// The outbox states reported (every one, zero when empty).
    public static let outboxStates = [
        "pending", "sending", "retry", "delivered", "dead", "unknown", "dropped",
    ]

    /// A fresh registry with every fixed metric registered.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        func counter(_ name: String, _ help: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(
                label: name, dimensions: [],
                handler: registry.makeCounter(descriptor: Telemetry.descriptor(name, help), labels: []),
                factory: PrometheusMetricsFactory(registry: registry))
        }
        applied = counter("touchpoint_events_applied_total", "Events the engine applied.")
        quarantined = counter("touchpoint_events_quarantined_total", "Event lines rejected and quarantined.")
        late = counter(
            "touchpoint_events_late_total", "Events applied with a timestamp earlier than the engine's clock."
        )
        var rows: [String: Meter] = [:]
        for state in Self.outboxStates {
            let labels = [("state", state)]
            rows[state] = Meter(
                label: "touchpoint_outbox_rows", dimensions: labels,
                handler: registry.makeGauge(
                    descriptor: Self.descriptor("touchpoint_outbox_rows", "Outbox rows by state."),
                    labels: labels),
                factory: factory)
        }
        outboxRows = rows
        oldestDue = Meter(
            label: "touchpoint_outbox_oldest_due_age_seconds", dimensions: [],
            handler: registry.makeGauge(
                descriptor: Self.descriptor(
                    "touchpoint_outbox_oldest_due_age_seconds",
                    "How long the oldest pending outbox row has been due (0 when none is overdue)."),
                labels: []),
            factory: factory)
    }

    /// Counts a committed batch.
    public func batch(applied n: Int, quarantined q: Int, late l: Int) {
        if n > 0 { applied.increment(by: Int64(n)) }
        if q > 0 { quarantined.increment(by: Int64(q)) }
        if l > 0 { late.increment(by: Int64(l)) }
    }

    /// Counts one engine decision (`reason` is `none` for a send).
    public func decision(rule: String, decision: String, reason: String?) {
        counter(
            "touchpoint_decisions_total", help: "Message decisions by rule, decision and reason.",
            labels: [("rule", rule), ("decision", decision), ("reason", reason ?? "none")]
        ).increment()
    }

    /// Counts one send attempt's outcome and, when delivered, how long after its send time it went out.
    public func send(channel: String, outcome: String, latencyMilliseconds: Int64?) {
        counter(
            "touchpoint_sends_total", help: "Send attempts by channel and outcome.",
            labels: [("channel", channel), ("outcome", outcome)]
        ).increment()
        guard let ms = latencyMilliseconds else { return }
        latencyTimer(channel).recordNanoseconds(max(0, ms) * 1_000_000)
    }

    /// Counts a hit on a tracking endpoint (`kind`: open, click, unsubscribe, track, identify, batch,
    /// twilio-status, twilio-inbound; `result`: recorded, duplicate, rejected, expired, error).
    public func hit(kind: String, result: String) {
        counter(
            "touchpoint_tracking_hits_total",
            help: "Requests to the tracking and ingestion endpoints by kind and result.",
            labels: [("kind", kind), ("result", result)]
        ).increment()
    }

    /// Sets the outbox gauges from the store's counts and the earliest pending send time.
    public func outbox(rows: [String: Int], oldestDueAgeSeconds: Double) {
        for state in Self.outboxStates { outboxRows[state]?.set(rows[state] ?? 0) }
        oldestDue.set(max(0, oldestDueAgeSeconds))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// A full metric name with its help text (the name is given whole, not in parts).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func counter(_ name: String, help: String, labels: [(String, String)]) -> CoreMetrics.Counter {
        let key = name + "\u{1F}" + labels.map { $0.0 + "=" + $0.1 }.joined(separator: "\u{1F}")
        return labelled.withLock { cache in
            if let c = cache[key] { return c }
            let c = CoreMetrics.Counter(
                label: name, dimensions: labels,
                handler: registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels),
                factory: factory)
            cache[key] = c
            return c
        }
    }

    private func latencyTimer(_ channel: String) -> CoreMetrics.Timer {
        latencies.withLock { cache in
            if let t = cache[channel] { return t }
            let name = "touchpoint_delivery_latency_seconds"
            let labels = [("channel", channel)]
            let buckets: [Duration] = [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500),
                .seconds(1), .seconds(5), .seconds(30), .seconds(60), .seconds(300), .seconds(1800),
                .seconds(3600),
            ]
            let t = CoreMetrics.Timer(
                label: name, dimensions: labels,
                handler: registry.makeDurationHistogram(
                    descriptor: Self.descriptor(
                        name, "From a message's send time to its delivery, by channel."),
                    labels: labels, buckets: buckets),
                factory: factory)
            cache[channel] = t
            return t
        }
    }
}
