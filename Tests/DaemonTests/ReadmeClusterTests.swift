import Foundation
import PostgresTestSupport
import Testing

extension DaemonSuite {
    /// The README's "Running more than one node" walkthrough, run as written (issue 18). Its name matches CI's
    /// second `swift test --filter 'ClusterTests|…'`, so its two daemons do not share the machine with the rest
    /// of the suite.
    @Suite(
        "The README's two-node walkthrough", .serialized,
        .enabled(if: TestPostgres.available != nil, "PostgreSQL is not installed"))
    struct ReadmeClusterTests {
        /// The walkthrough's section of the README, up to the next heading of its level.
        static func section() throws -> String {
            let readme = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
            let after = try #require(
                readme.components(separatedBy: "### A walkthrough: two nodes on a local PostgreSQL")
                    .dropFirst().first)
            return after.components(separatedBy: "\n### ").first ?? after
        }

        /// The fenced blocks of `text` opened with "```" + `tag` + newline.
        static func blocks(_ text: String, tag: String) -> [String] {
            text.components(separatedBy: "```\(tag)\n").dropFirst().compactMap {
                $0.components(separatedBy: "```").first
            }
        }

        @Test("the server block puts Debian's PostgreSQL binaries on PATH before initdb and pg_ctl")
        func serverBlock() throws {
            let server = try #require(Self.blocks(try Self.section(), tag: "sh").first)
            let lines = server.split(separator: "\n").map(String.init)
            let path = try #require(lines.firstIndex { $0.hasPrefix("export PATH=") })
            let initdb = try #require(lines.firstIndex { $0.hasPrefix("initdb ") })
            let pgctl = try #require(lines.firstIndex { $0.hasPrefix("pg_ctl ") })
            #expect(path < initdb && initdb < pgctl)
            #expect(lines[path].contains("/usr/lib/postgresql/*/bin"))
            // The line itself, run by bash, puts the newest installed version's folder first, so initdb and pg_ctl
            // are found there (where PostgreSQL is not Debian's, they must be on PATH already).
            let r = try CLIRun(
                ["-c", lines[path].components(separatedBy: "#")[0] + "\ncommand -v initdb pg_ctl"],
                executable: "/bin/bash")
            #expect(r.status == 0, "\(r.all)")
            let found = r.stdout.split(separator: "\n")
            #expect(found.count == 2, "\(r.all)")
            if FileManager.default.fileExists(atPath: "/usr/lib/postgresql") {
                #expect(found.allSatisfy { $0.hasPrefix("/usr/lib/postgresql/") }, "\(r.all)")
            }
        }

        @Test(
            "the two-node walkthrough runs as written: both nodes hold 8 of 16 partitions, the re-timed story's receipts are delivered through the shared outbox, none window-expired, status prints what the README shows"
        )
        func walkthrough() async throws {
            let server = try #require(TestPostgres.available)
            let database = try await server.createDatabase()
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-walk2-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: root) }
            let section = try Self.section()
            let shell = Self.blocks(section, tag: "sh")
            try #require(shell.count >= 2)
            var script = shell[1]
            // The server is the tests' own (pg_server.py: an ephemeral port, a password in PGPASSWORD), not the
            // first block's initdb on 5433, which refuses to run as root; the binary is the one `swift test`
            // built (the block's `swift build` would rebuild it in the copy); the two sleeps become waits for
            // what they stand for, so a loaded machine cannot fail it.
            for folder in ["rules", "templates", "examples", "scripts"] {
                try FileManager.default.copyItem(
                    at: Paths.packageRoot.appendingPathComponent(folder),
                    to: root.appendingPathComponent(folder))
            }
            let binary = try Paths.requireBinary()
            let url = "postgres://touchpoint@127.0.0.1:5433/touchpoint"
            #expect(script.contains("swift build\n"))
            #expect(script.contains(url))
            script = script.replacingOccurrences(of: "swift build\n", with: "")
                .replacingOccurrences(of: ".build/debug/touchpoint", with: "'\(binary)'")
                .replacingOccurrences(of: url, with: server.url(database: database))
            let status = "'\(binary)' status --config demo/touchpoint.yaml 2>/dev/null"
            let waits = [
                // both nodes joined and the partitions are split evenly
                "for i in $(seq 600); do [ \"$(\(status) | grep -c ' 8 partition(s)')\" -eq 2 ] && break; sleep 0.2; done",
                // the five receipts are recorded delivered
                "for i in $(seq 600); do \(status) | grep -q 'delivered 5,' && break; sleep 0.2; done",
            ]
            var lines = script.components(separatedBy: "\n")
            let sleeps = lines.indices.filter { lines[$0].hasPrefix("sleep 5") }
            #expect(sleeps.count == 2, "\(script)")
            for (index, wait) in zip(sleeps, waits) { lines[index] = wait }
            // The last line stops both nodes; waiting for them lets their hand-over finish before the
            // database is dropped.
            script =
                "set -e\ntrap 'kill %1 %2 2>/dev/null || true' EXIT\ncd '\(root.path)'\n"
                + lines.joined(separator: "\n") + "\nwait\n"
            let r = try CLIRun(
                ["-c", script], environment: ["PGPASSWORD": server.password], executable: "/bin/bash")
            let logs = ["node-a", "node-b"].map {
                (try? String(
                    contentsOf: root.appendingPathComponent("demo/\($0).log"), encoding: .utf8)) ?? ""
            }.joined(separator: "\n")
            await server.dropDatabase(database)
            #expect(r.status == 0, "\(r.all)\n\(logs.suffix(3000))")
            #expect(r.stderr.contains("appended 94 lines to demo/events/live.jsonl"), "\(r.all)")
            #expect(
                !r.all.contains("window-expired") && !logs.contains("window-expired"), "\(logs.suffix(3000))")
            let printed = r.stdout.split(separator: "\n").map(String.init)
            // What the README shows it prints: the same lines, where they do not vary.
            let shown = try #require(
                Self.blocks(section, tag: "").first { $0.contains("live node(s)") }
            ).split(separator: "\n").map(String.init)
            for prefix in ["events applied ", "outbox ", "cluster "] {
                let expected = shown.first { $0.hasPrefix(prefix) }
                #expect(expected != nil, "the README shows no '\(prefix)' line")
                #expect(
                    printed.contains { $0 == expected }, "README: \(expected ?? "-")\nprinted:\n\(r.stdout)")
            }
            for node in ["node-a", "node-b"] {
                let line = printed.first { $0.hasPrefix("node             \(node)  alive  epoch ") }
                #expect(line?.contains("  8 partition(s): partitions ") == true, "\(r.stdout)")
                #expect(line?.contains(" renewed ") == true && line?.contains(", lease ends in ") == true)
            }
            let applied = printed.compactMap { line -> Int? in
                guard line.hasPrefix("node ") else { return nil }
                return line.components(separatedBy: "  ").last.flatMap {
                    Int($0.replacingOccurrences(of: " event(s) applied", with: ""))
                }
            }
            let total = printed.first { $0.hasPrefix("events applied ") }.flatMap {
                Int($0.dropFirst("events applied ".count).trimmingCharacters(in: .whitespaces))
            }
            #expect(applied.count == 2 && applied.reduce(0, +) == total, "\(r.stdout)")
            let files = try FileManager.default.contentsOfDirectory(
                atPath: root.appendingPathComponent("demo/outbox").path)
            #expect(files.count == 5, "\(files)")
        }
    }
}
