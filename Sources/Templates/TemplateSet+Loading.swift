import Foundation
import TouchpointCore
import Yams

extension TemplateSet {
    /// Loads `directory` (the `templates/` folder): one sub-folder per template holding
    /// `<channel>[.<locale>].mustache` files and `email.txt[.<locale>].mustache` text parts.
    ///
    /// Every problem becomes a diagnostic naming the file, line and column; a broken file is
    /// left out and the rest still loads. Errors mean the set should not be used for sending.
    public static func load(directory: String) -> (TemplateSet, [Diagnostic]) {
        var set = TemplateSet()
        var diagnostics: [Diagnostic] = []
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            diagnostics.append(
                .error("missing-directory", "templates folder '\(directory)' does not exist", at: nil))
            return (set, diagnostics)
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let entries = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for entry in entries where !entry.hasPrefix(".") {
            let folder = "\(base)/\(entry)"
            if entry == partialsFolder {
                diagnostics += loadPartials(folder: folder, into: &set.partials)
                continue
            }
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                diagnostics.append(
                    .warning(
                        "stray-template-file",
                        "'\(entry)' is not inside a template folder; templates live in \(base)/<template>/<channel>.mustache",
                        at: SourceLocation(file: folder, line: 1)))
                continue
            }
            let (files, folderDiagnostics) = loadFolder(folder)
            diagnostics += folderDiagnostics
            set.templates[entry] = files
        }
        diagnostics += set.checkPartialReferences()
        return (set, diagnostics)
    }

    /// Builds a set from in-memory sources keyed by `<template>/<file name>`, as if loaded
    /// from `directory`; handy for tests and for `send-test` without a folder.
    public static func load(sources: [String: String], directory: String = "templates") -> (
        TemplateSet, [Diagnostic]
    ) {
        var set = TemplateSet()
        var diagnostics: [Diagnostic] = []
        var byTemplate: [String: [(String, String)]] = [:]
        for (key, text) in sources {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            byTemplate[parts[0], default: []].append((parts[1], text))
        }
        for (name, files) in byTemplate.sorted(by: { $0.key < $1.key }) {
            if name == partialsFolder {
                for (fileName, text) in files.sorted(by: { $0.0 < $1.0 }) {
                    diagnostics += addPartial(
                        named: fileName, text: text, path: "\(directory)/\(name)/\(fileName)",
                        into: &set.partials)
                }
                continue
            }
            var loaded: [FileKey: TemplateFile] = [:]
            for (fileName, text) in files.sorted(by: { $0.0 < $1.0 }) {
                diagnostics += addFile(
                    named: fileName, text: text, path: "\(directory)/\(name)/\(fileName)", into: &loaded)
            }
            diagnostics += folderChecks(
                loaded, folder: "\(directory)/\(name)",
                attempted: files.contains { classify(fileName: $0.0) != nil })
            set.templates[name] = loaded
        }
        diagnostics += set.checkPartialReferences()
        return (set, diagnostics)
    }

    /// Loads `templates/_partials/`: `<name>[.<locale>].mustache` files, plain Mustache without
    /// front matter.
    private static func loadPartials(folder: String, into library: inout PartialLibrary) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let path = "\(folder)/\(name)"
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)
            else {
                diagnostics.append(
                    .error(
                        "invalid-utf8", "partial file is unreadable or not UTF-8",
                        at: SourceLocation(file: path, line: 1)))
                continue
            }
            diagnostics += addPartial(named: name, text: text, path: path, into: &library)
        }
        return diagnostics
    }

    /// Parses one partial file into `library`, returning its diagnostics.
    static func addPartial(
        named fileName: String, text: String, path: String, into library: inout PartialLibrary
    )
        -> [Diagnostic]
    {
        let at = SourceLocation(file: path, line: 1)
        guard fileName.hasSuffix(".mustache") else {
            return [
                .warning(
                    "unknown-template-file",
                    "unknown partial file '\(fileName)' (expected <name>[.<locale>].mustache)", at: at)
            ]
        }
        let parts = fileName.dropLast(".mustache".count).split(
            separator: ".", omittingEmptySubsequences: false
        )
        .map(String.init)
        guard let name = parts.first, !name.isEmpty, parts.count <= 2 else {
            return [
                .warning(
                    "unknown-template-file",
                    "unknown partial file '\(fileName)' (expected <name>[.<locale>].mustache, the name without dots)",
                    at: at)
            ]
        }
        var locale: String?
        if parts.count == 2 {
            guard let canonical = LocaleTag.canonical(parts[1]) else {
                return [
                    .warning(
                        "unknown-template-file", "'\(parts[1])' in '\(fileName)' is not a locale tag", at: at)
                ]
            }
            locale = canonical
        }
        if let existing = library.partials[name]?[locale] {
            return [
                .error(
                    "duplicate-template-file",
                    "'\(fileName)' is the same partial and locale as '\((existing.path as NSString).lastPathComponent)'",
                    at: at)
            ]
        }
        switch TemplatePiece.parse(text, html: false, file: path, lineOffset: 0, columnOffset: 0) {
        case .success(let piece):
            library.partials[name, default: [:]][locale] = PartialLibrary.Partial(
                nodes: piece.nodes, path: path, locale: locale)
            return []
        case .failure(let problem):
            return [
                .error(
                    "template-syntax", problem.message,
                    at: SourceLocation(file: path, line: problem.line, column: problem.column))
            ]
        }
    }

    private static func loadFolder(_ folder: String) -> ([FileKey: TemplateFile], [Diagnostic]) {
        var files: [FileKey: TemplateFile] = [:]
        var diagnostics: [Diagnostic] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let path = "\(folder)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(
                    .warning(
                        "unreadable-file", "cannot read '\(name)'", at: SourceLocation(file: path, line: 1)))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(
                    .error(
                        "invalid-utf8", "template file is not UTF-8", at: SourceLocation(file: path, line: 1))
                )
                continue
            }
            diagnostics += addFile(named: name, text: text, path: path, into: &files)
        }
        diagnostics += folderChecks(
            files, folder: folder, attempted: names.contains { classify(fileName: $0) != nil })
        return (files, diagnostics)
    }

    /// Folder-level warnings; `attempted` says whether any file had a template file name, so a
    /// folder whose files all failed to parse is not also called empty.
    private static func folderChecks(_ files: [FileKey: TemplateFile], folder: String, attempted: Bool)
        -> [Diagnostic]
    {
        var diagnostics: [Diagnostic] = []
        if files.isEmpty, !attempted {
            diagnostics.append(
                .warning(
                    "empty-template", "template folder has no email, sms or chat file",
                    at: SourceLocation(file: folder, line: 1)))
        }
        for kind in FileKind.allCases {
            let localized = files.values.filter { $0.kind == kind && $0.locale != nil }.sorted {
                $0.path < $1.path
            }
            if let first = localized.first, files[FileKey(kind: kind, locale: nil)] == nil, kind != .emailText
            {
                diagnostics.append(
                    .warning(
                        "no-default-locale",
                        "no default '\(kind.rawValue).mustache' next to localized files; customers in other locales get no \(kind.channel.rawValue)",
                        at: SourceLocation(file: first.path, line: 1)))
            }
        }
        for text in files.values where text.kind == .emailText {
            if files.values.first(where: { $0.kind == .email }) == nil {
                diagnostics.append(
                    .warning(
                        "orphan-text-part", "text part without an 'email.mustache' HTML body",
                        at: SourceLocation(file: text.path, line: 1)))
            }
        }
        return diagnostics
    }

    /// `email.zh-CN.mustache` → (email, "zh-CN"); `nil` when the name is not a template file name.
    static func classify(fileName: String) -> (FileKind, String?)? {
        guard fileName.hasSuffix(".mustache") else { return nil }
        let stem = fileName.dropLast(".mustache".count)
        var parts = stem.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let channel = Channel(rawValue: first) else { return nil }
        parts.removeFirst()
        var kind = FileKind(channel)
        if channel == .email, parts.first == "txt" {
            kind = .emailText
            parts.removeFirst()
        }
        switch parts.count {
        case 0: return (kind, nil)
        case 1: return LocaleTag.canonical(parts[0]).map { (kind, $0) }
        default: return nil
        }
    }

    /// A near-miss file name (`emial.mustache`, `sms.txt`) → the name the author likely meant.
    static func suggestion(for fileName: String) -> String? {
        var stem = fileName.hasSuffix(".mustache") ? String(fileName.dropLast(".mustache".count)) : fileName
        if !fileName.hasSuffix(".mustache"), let dot = stem.lastIndex(of: ".") {
            stem = String(stem[..<dot])  // `email.html` → `email`
        }
        var parts = stem.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty else { return nil }
        var head = parts.removeFirst()
        if parts.first == "txt" {
            head += ".txt"
            parts.removeFirst()
        }
        let kinds = FileKind.allCases.map(\.rawValue)
        guard let kind = Suggest.nearest(head, in: kinds) else { return nil }
        let locale = parts.count == 1 ? LocaleTag.canonical(parts[0]).map { ".\($0)" } ?? "" : ""
        return "\(kind)\(locale).mustache"
    }

    /// Parses one file into `files`, returning its diagnostics.
    static func addFile(
        named name: String, text: String, path: String, into files: inout [FileKey: TemplateFile]
    ) -> [Diagnostic] {
        let at = SourceLocation(file: path, line: 1)
        guard let (kind, locale) = classify(fileName: name) else {
            let hint = suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
            return [
                .warning(
                    "unknown-template-file",
                    "unknown template file '\(name)' (expected email|sms|chat[.<locale>].mustache or email.txt[.<locale>].mustache)\(hint)",
                    at: at)
            ]
        }
        let key = FileKey(kind: kind, locale: locale)
        if let existing = files[key] {
            return [
                .error(
                    "duplicate-template-file",
                    "'\(name)' is the same \(kind.rawValue) locale as '\((existing.path as NSString).lastPathComponent)'",
                    at: at)
            ]
        }
        var diagnostics: [Diagnostic] = []
        if let file = parseFile(kind: kind, locale: locale, text: text, path: path, diagnostics: &diagnostics)
        {
            files[key] = file
        }
        return diagnostics
    }
}
