import ArgumentParser
import Engine
import Foundation
import Rules
import Templates

/// The base of `touchpoint plan --base REF`: the ref's config, rules and templates, taken out of git into a
/// temporary folder at the same places relative to the repository, so relative paths resolve the same way.
enum GitBase {
    static func load(ref: String, head: Project, environment: [String: String]) throws -> (
        Project, () -> Void
    ) {
        let fm = FileManager.default
        let configPath = head.config.path.map(absolute) ?? absolute(Config.defaultPath)
        let configFolder = (configPath as NSString).deletingLastPathComponent
        let root = try git(["rev-parse", "--show-toplevel"], in: configFolder)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !root.isEmpty else {
            printError("touchpoint: \(configFolder) is not in a git repository (use --base-dir)")
            throw ExitCode(1)
        }
        func relative(_ path: String) throws -> String {
            let full = URL(fileURLWithPath: absolute(path)).standardizedFileURL.resolvingSymlinksInPath().path
            let top = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
            guard full == top || full.hasPrefix(top + "/") else {
                printError("touchpoint: \(path) is outside the git repository \(root)")
                throw ExitCode(1)
            }
            return full == top ? "." : String(full.dropFirst(top.count + 1))
        }
        let paths = [configPath, head.config.rulesDirectory, head.config.templatesDirectory]
        let relatives = try paths.map(relative)
        _ = try git(
            ["rev-parse", "--verify", "--quiet", ref + "^{commit}"], in: root,
            what: "unknown git ref '\(ref)'")
        let temp = fm.temporaryDirectory.appendingPathComponent("touchpoint-plan-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: temp, withIntermediateDirectories: true)
        let cleanup = { _ = try? FileManager.default.removeItem(atPath: temp) }
        // Only what exists at the ref: a rules folder added since has no base (every rule is new).
        let present = relatives.filter { (try? git(["cat-file", "-e", "\(ref):\($0)"], in: root)) != nil }
        if !present.isEmpty {
            let tar = temp + "/.base.tar"
            _ = try git(["archive", "--format=tar", "-o", tar, ref, "--"] + present, in: root)
            let untar = Process()
            untar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            untar.arguments = ["tar", "-xf", tar, "-C", temp]
            try untar.run()
            untar.waitUntilExit()
            try? fm.removeItem(atPath: tar)
            guard untar.terminationStatus == 0 else {
                cleanup()
                printError("touchpoint: could not unpack git archive of \(ref)")
                throw ExitCode(1)
            }
        }
        // A rules or templates folder the ref lacks is an empty one there: every rule is new.
        for folder in relatives[1...] {
            try fm.createDirectory(atPath: temp + "/" + folder, withIntermediateDirectories: true)
        }
        let baseConfig = temp + "/" + relatives[0]
        var project: Project
        if fm.fileExists(atPath: baseConfig) {
            project = Project.load(configPath: baseConfig, environment: environment)
        } else {
            var config = head.config
            config.path = nil
            config.rulesDirectory = temp + "/" + relatives[1]
            config.templatesDirectory = temp + "/" + relatives[2]
            let (ruleSet, rd) = RuleSet.load(directory: config.rulesDirectory)
            let (templates, td) = TemplateSet.load(directory: config.templatesDirectory)
            project = Project.assemble(
                config: config, ruleSet: ruleSet, templates: templates, diagnostics: rd + td)
        }
        return (project, cleanup)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Runs git; its standard output, or an error naming `what` (or git's own message).
    @discardableResult
    static func git(_ arguments: [String], in folder: String, what: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", folder] + arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            if let what {
                printError("touchpoint: \(what)")
                throw ExitCode(1)
            }
            throw GitError(message: String(decoding: message, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct GitError: Error, CustomStringConvertible {
        var message: String
        var description: String { "git: " + message }
    }
}
