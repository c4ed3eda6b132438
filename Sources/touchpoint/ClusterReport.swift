import Store
import TouchpointCore

/// The cluster part of `touchpoint status`: nodes with their epochs, leases and partitions, the free partitions,
/// and the latest hand-overs and refusals. Ages are from the server's clock, as the leases are.
enum ClusterReport {
    static func write(_ status: ClusterStatus, to out: inout Output) {
        let view = status.view
        let now = view.now
        func age(_ instant: Instant?) -> String {
            guard let instant else { return "-" }
            let ms = now.milliseconds - instant.milliseconds
            return ms >= 0
                ? String(format: "%.1fs ago", Double(ms) / 1000)
                : String(format: "in %.1fs", Double(-ms) / 1000)
        }
        out.line("cluster          \(status.partitions) partitions, \(view.liveNodes.count) live node(s)")
        for node in view.nodes {
            let held = view.held(by: node.name)
            let state =
                node.isLive(at: now) ? "alive" : node.state == .alive ? "lease ran out" : node.state.rawValue
            out.line(
                "node             \(node.name)  \(state)  epoch \(node.epoch)  \(node.host) pid \(node.pid)  "
                    + "renewed \(age(node.renewedAt)), lease ends \(age(node.expiresAt))  "
                    + "\(held.count) partition(s)\(held.isEmpty ? "" : ": " + PostgresStore.describe(held.keys.sorted()))  "
                    + "\(node.eventsApplied) event(s) applied")
        }
        let free = view.free
        if !free.isEmpty { out.line("free             \(PostgresStore.describe(free))") }
        for lease in view.leases where lease.isHeld(at: now) {
            out.line(
                "partition        \(lease.partition)  \(lease.owner ?? "-")  epoch \(lease.epoch)  "
                    + "acquired \(age(lease.acquiredAt)), renewed \(age(lease.renewedAt))")
        }
        if !status.log.isEmpty {
            out.line("cluster log (newest first):")
            for entry in status.log {
                out.line(
                    "  \(ISO8601.format(entry.at, offsetSeconds: 0))  \(entry.node)  \(entry.kind)  \(entry.detail)"
                )
            }
        }
    }
}
