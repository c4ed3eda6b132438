import Foundation
import Templates
import TouchpointCore

/// A throwaway `templates/` folder on disk, removed when the test ends.
final class TemplateFolder {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "touchpoint-templates-" + UUID().uuidString
        for (relative, text) in files {
            let full = path + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func load() -> (TemplateSet, [Diagnostic]) {
        TemplateSet.load(directory: path)
    }
}

/// A render context shaped like the engine's.
func context(
    customer: JSONValue = ["id": "u42", "first_name": "Lei"], properties: JSONValue = [:]
) -> JSONValue {
    [
        "customer": customer,
        "event": [
            "name": "Product Added", "timestamp": "2026-11-20T10:00:00+08:00", "properties": properties,
        ],
        "message": ["id": "m-1", "channel": "email", "unsubscribe_url": "https://shop.example/u/m-1"],
        "rule": ["name": "cart-abandoned"],
    ]
}
