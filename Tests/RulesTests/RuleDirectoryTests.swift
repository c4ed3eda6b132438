import Foundation
import Testing
import TouchpointCore

@testable import Rules

@Suite("Rule folders")
struct RuleDirectoryTests {
    @Test("every .yaml/.yml under rules/ loads in path order, except rules/tests/ and other files")
    func filesInOrder() throws {
        let root = try makeFolder([
            "rules/b.yaml": rule(name: "from-b"),
            "rules/a.yml": rule(name: "from-a"),
            "rules/sub/c.yaml": rule(name: "from-sub"),
            "rules/tests/t.yaml": "tests: []\n",
            "rules/notes.txt": "not yaml",
            "rules/.hidden.yaml": "garbage: [",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/rules"
        #expect(RuleSet.ruleFiles(in: dir) == [dir + "/a.yml", dir + "/b.yaml", dir + "/sub/c.yaml"])
        let (set, diagnostics) = RuleSet.load(directory: dir)
        #expect(diagnostics == [])
        #expect(set.names == ["from-a", "from-b", "from-sub"])
        #expect(set["from-b"]?.location.file == dir + "/b.yaml")
    }

    @Test("a duplicate name across files points at the second file and names the first")
    func duplicateAcrossFiles() throws {
        let root = try makeFolder(["a.yaml": rule(name: "same"), "b.yaml": rule(name: "same")])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (set, diagnostics) = RuleSet.load(directory: root)
        #expect(set.names == ["same"])
        #expect(
            diagnostics.map(\.description) == [
                "\(root)/b.yaml:2:11: error: duplicate rule name 'same'; it is first defined at \(root)/a.yaml:2:11"
            ])
    }

    @Test("a broken file is reported and the other files still load")
    func brokenFile() throws {
        let root = try makeFolder(["a.yaml": "rules: [\n", "b.yaml": rule(name: "ok")])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (set, diagnostics) = RuleSet.load(directory: root)
        #expect(set.names == ["ok"])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.location?.file == root + "/a.yaml")
    }

    @Test("a missing rules folder is an error")
    func missingFolder() {
        let (set, diagnostics) = RuleSet.load(directory: "/nonexistent/rules")
        #expect(set.rules.isEmpty)
        #expect(diagnostics.map(\.description) == ["error: rules folder '/nonexistent/rules' does not exist"])
    }
}
