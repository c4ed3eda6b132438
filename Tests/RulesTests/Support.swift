import Foundation
import TouchpointCore

@testable import Rules

/// Rule file text → the rules and the diagnostics as `path:line:col: error: message` lines.
func parseRules(_ yaml: String, file: String = "r.yaml") -> (RuleSet, [String]) {
    let (set, diagnostics) = RuleSet.parse(yaml: yaml, file: file)
    return (set, diagnostics.map(\.description))
}

/// A fresh folder under the temporary directory, with `files` (relative path → text) written into it.
func makeFolder(_ files: [String: String]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
        "rules-tests-\(UUID().uuidString)"
    ).path
    for (relative, text) in files {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    return root
}

/// The SPEC §2 example rule file, verbatim.
let specRules = """
    rules:
      - name: cart-abandoned
        description: Remind shoppers who left something in their cart.
        when:
          event: Product Added
          if: event.properties.price >= 10
        wait: 1h                        # due one hour after the trigger ...
        unless: [Order Completed]       # ... cancelled if the customer orders meanwhile
        send:
          template: cart-reminder
          channels: [email, sms, chat]  # candidates; the scheduler picks one
          within: 24h                   # send window after it is due; best time chosen inside it
        limit: { once-per: 7d }
        priority: 10

      - name: win-back
        when: { inactive: 30d }         # no activity from the customer for 30 days
        send: { template: win-back, channels: [email, chat], within: 3d }

      - name: thank-you
        when: { event: Order Completed }
        send: { template: thank-you, channels: [email] }
        transactional: true             # exempt from frequency caps and quiet hours

    """

/// A minimal valid rule body to build error cases on.
func rule(_ extra: String = "", name: String = "r1") -> String {
    """
    rules:
      - name: \(name)
        when: { event: X }
        send: { template: t, channels: [email] }
    \(extra)
    """
}
