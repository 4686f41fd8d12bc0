//! Architecture rules: which top-level module of the crate may import which.
//!
//! The test reads every `.rs` file under `src/`, works out the top-level module each file
//! belongs to, collects the crate-internal imports of each module (`use crate::x`, inline
//! `crate::x::y` paths, and `blotquant::x` in the command line), and checks the rules below.
//! It uses only `std`, so it can also be compiled on its own:
//!
//! ```text
//! rustc --edition 2021 --test tests/architecture.rs -o /tmp/arch-test && /tmp/arch-test
//! ```
//!
//! A failing rule lists every offending `file:line: imports module X`. The checker's own tests
//! (module `checker_tests` at the end) run it on in-memory files, to show it catches violations.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The analysis stages. A stage is a function from the previous stage's typed output to its
/// own, so it must not reach up to the orchestration that calls it, the manifest, or the code
/// that writes output files.
const STAGES: &[&str] = &["background", "lanes", "bands", "quant"];

/// What the stages must never import: orchestration (`pipeline`, `batch`, `cache`), the result
/// tables and their rendering (`results`, `report`), the experiment description (`manifest`,
/// `init`), the ImageJ-compatible tool, the synthetic data generator and the command line.
const STAGE_FORBIDDEN: &[&str] = &[
    "pipeline", "batch", "cache", "results", "report", "manifest", "init", "imagej", "synth", "cli",
];

/// The only modules allowed to import `report`: rendering the outputs is the last step of a
/// run, so nothing below `batch` (which runs the analyses and then writes the outputs) needs it.
const REPORT_IMPORTERS: &[&str] = &["batch", "cli"];

/// What `io` may import. `io` is the bottom layer that reads images and writes files; it knows
/// the load parameters, the error type and some statistics, nothing of the analysis.
const IO_ALLOWED: &[&str] = &["params", "error", "stats"];

/// Leaf modules that import no crate module at all: everything else builds on them.
const LEAVES: &[&str] = &["stats", "error"];

/// What `params` may import: the parameters are plain data, validated into `error`s.
const PARAMS_ALLOWED: &[&str] = &["error"];

/// What `report` must not import: it formats results; it does not run analyses.
const REPORT_FORBIDDEN: &[&str] = &["pipeline", "batch", "cache", "init", "cli"];

/// The command line is the outermost adapter: the library never depends on it.
const CLI: &str = "cli";

/// The crate's name, as the binary (`src/main.rs`, `src/cli/`) spells the library in paths.
const CRATE_NAME: &str = "blotquant";

/// One place in a source file that imports a crate module.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Import {
    /// Path relative to the crate root, with `/` separators (`src/lanes/mod.rs`).
    file: String,
    /// 1-based line number of the imported module's name.
    line: usize,
    /// First path segment after `crate::` (or `blotquant::`): the imported top-level module.
    module: String,
}

impl fmt::Display for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: imports module {}",
            self.file, self.line, self.module
        )
    }
}

/// Module dependency graph: importing module -> imported module -> every place that imports it.
type Graph = BTreeMap<String, BTreeMap<String, Vec<Import>>>;

/// The top-level module a file belongs to, or `None` for `src/lib.rs` (which only declares
/// modules and re-exports) and anything outside `src/`. `src/main.rs` and `src/cli/` are `cli`.
fn module_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("src/")?;
    if rest == "lib.rs" {
        return None;
    }
    if rest == "main.rs" {
        return Some(CLI.to_string());
    }
    let first = rest.split('/').next()?;
    Some(first.strip_suffix(".rs").unwrap_or(first).to_string())
}

/// The part of a file the rules look at: everything before the first `#[cfg(test)]` line
/// (unit tests live at the end of files and may import what they like).
fn code_part(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "#[cfg(test)]" {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// Blanks out comments (`//`, `///`, `//!`, `/* */`), string literals and character literals,
/// keeping every newline so that line numbers stay right. What remains is code only, so a doc
/// comment or a message mentioning `crate::x` is not taken for an import.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let skipped_to = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => Some(skip_line_comment(&chars, i)),
            ('/', Some('*')) => Some(skip_block_comment(&chars, i)),
            ('"', _) => Some(skip_string(&chars, i + 1)),
            ('r', Some('"' | '#')) if starts_raw_string(&chars, i) => skip_raw_string(&chars, i),
            ('\'', _) => skip_char_literal(&chars, i),
            _ => None,
        };
        if let Some(end) = skipped_to {
            // Keep the newlines of what was skipped, and a space so tokens stay apart.
            out.push(' ');
            out.extend(chars[i..end].iter().filter(|&&c| c == '\n'));
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `i` starts a raw string (`r"`, `r#"`, `br"`) rather than ending a name
/// like `for` or `bar`.
fn starts_raw_string(chars: &[char], i: usize) -> bool {
    let ident_before = |at: usize| at > 0 && is_ident_char(chars[at - 1]);
    !ident_before(i) || (chars[i - 1] == 'b' && !ident_before(i - 1))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// End of a `//` comment starting at `start`: the newline itself is kept.
fn skip_line_comment(chars: &[char], start: usize) -> usize {
    let len = chars[start..].iter().position(|&c| c == '\n');
    len.map_or(chars.len(), |n| start + n)
}

/// End of a (possibly nested) `/* */` comment starting at `start`.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// End of a `"..."` string whose contents start at `start` (just after the opening quote).
fn skip_string(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// End of a raw string `r"..."` or `r#"..."#` starting at `start` (the `r`), or `None` when
/// the `r` does not start one (e.g. the raw identifier `r#type`).
fn skip_raw_string(chars: &[char], start: usize) -> Option<usize> {
    let hashes = chars[start + 1..].iter().take_while(|&&c| c == '#').count();
    let quote = start + 1 + hashes;
    if chars.get(quote) != Some(&'"') {
        return None;
    }
    let mut i = quote + 1;
    while i < chars.len() {
        let closing = chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes;
        if closing {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// End of a character literal (`'x'`, `'"'`, `'\''`, `'\u{1F600}'`) starting at `start`, or
/// `None` for a lifetime or label (`'a`, `'static`), which is left alone.
fn skip_char_literal(chars: &[char], start: usize) -> Option<usize> {
    match chars.get(start + 1) {
        Some('\\') => {
            // The escaped character itself (at `start + 2`) may be a quote: `'\''`.
            let close = chars[start + 3..].iter().position(|&c| c == '\'')?;
            Some(start + 3 + close + 1)
        }
        Some(_) if chars.get(start + 2) == Some(&'\'') => Some(start + 3),
        _ => None,
    }
}

/// The crate-internal imports of one file: the first segment after every `crate::` (and, in
/// the command line, `blotquant::`) in its code, including each top-level item of a brace
/// group (`crate::{a, b::c}` gives `a` and `b`). `self`, `super` and `*` are left out. The
/// result is not filtered: it may hold the file's own module and names that are not modules.
fn parse_imports(path: &str, text: &str) -> Vec<Import> {
    let code = strip_comments_and_strings(code_part(text));
    let mut prefixes = vec!["crate::".to_string()];
    if module_of(path).as_deref() == Some(CLI) {
        prefixes.push(format!("{CRATE_NAME}::"));
    }
    let mut imports = Vec::new();
    for prefix in &prefixes {
        for (at, _) in code.match_indices(prefix.as_str()) {
            if code[..at].chars().next_back().is_some_and(is_ident_char) {
                continue; // part of a longer name, like `mycrate::`
            }
            for (offset, module) in first_segments(&code[at + prefix.len()..]) {
                let line = 1 + code[..at + prefix.len() + offset].matches('\n').count();
                imports.push(Import {
                    file: path.to_string(),
                    line,
                    module,
                });
            }
        }
    }
    imports.sort_by_key(|import| import.line);
    imports
}

/// The first path segment(s) at the start of `rest` (the text just after `crate::`), each with
/// its byte offset in `rest`: one name, or each top-level item of a `{ ... }` group.
fn first_segments(rest: &str) -> Vec<(usize, String)> {
    let start = rest.len() - rest.trim_start().len();
    if !rest[start..].starts_with('{') {
        return leading_ident(rest, start).into_iter().collect();
    }
    let mut found = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in rest.char_indices().skip_while(|&(i, _)| i < start) {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => break,
            '}' => depth -= 1,
            ',' if depth == 1 => item_start = true,
            c if c.is_whitespace() => {}
            _ if depth == 1 && item_start => {
                item_start = false;
                found.extend(leading_ident(rest, i));
            }
            _ => {}
        }
    }
    found
}

/// The identifier starting at byte `at` of `text`, unless it is `self` or `super` (which stay
/// inside the crate root or the current module) or there is none.
fn leading_ident(text: &str, at: usize) -> Option<(usize, String)> {
    let name: String = text[at..]
        .chars()
        .take_while(|&c| is_ident_char(c))
        .collect();
    let ignored = name.is_empty() || name == "self" || name == "super";
    (!ignored).then_some((at, name))
}

/// The module graph of a set of `(path, text)` files. Only imports of modules that exist (some
/// file belongs to them) count, so `crate::Error` or `blotquant::Params` (re-exports from the
/// crate root) do not; nor do imports of the file's own module.
fn build_graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().filter_map(|(p, _)| module_of(p)).collect();
    let mut graph = Graph::new();
    for (path, text) in files {
        let Some(own) = module_of(path) else { continue };
        let edges = graph.entry(own.clone()).or_default();
        for import in parse_imports(path, text) {
            if import.module != own && modules.contains(&import.module) {
                let sites = edges.entry(import.module.clone()).or_default();
                // A line naming a module twice (`a::f(&a::G)`) is one offending place.
                if sites.last() != Some(&import) {
                    sites.push(import);
                }
            }
        }
    }
    graph
}

/// Every place where a module in `importers` imports a module in `forbidden`.
fn forbidden_imports(graph: &Graph, importers: &[&str], forbidden: &[&str]) -> Vec<Import> {
    imports_where(graph, |from, to| {
        importers.contains(&from) && forbidden.contains(&to)
    })
}

/// Every place where `importer` imports a module that is not in `allowed`.
fn imports_outside(graph: &Graph, importer: &str, allowed: &[&str]) -> Vec<Import> {
    imports_where(graph, |from, to| from == importer && !allowed.contains(&to))
}

/// Every place where a module not in `allowed_importers` imports `target`.
fn importers_of(graph: &Graph, target: &str, allowed_importers: &[&str]) -> Vec<Import> {
    imports_where(graph, |from, to| {
        to == target && !allowed_importers.contains(&from)
    })
}

/// Every import whose edge `(importing module, imported module)` satisfies `offends`.
fn imports_where(graph: &Graph, offends: impl Fn(&str, &str) -> bool) -> Vec<Import> {
    let mut found = Vec::new();
    for (from, edges) in graph {
        for (to, sites) in edges {
            if offends(from, to) {
                found.extend(sites.iter().cloned());
            }
        }
    }
    found
}

/// Panics with every offending import and the rule it breaks, if there are any.
fn assert_none(rule: &str, offending: &[Import]) {
    if offending.is_empty() {
        return;
    }
    let lines: Vec<String> = offending.iter().map(|i| format!("  {i}")).collect();
    panic!(
        "rule broken: {rule}\n{} offending import(s):\n{}\n",
        offending.len(),
        lines.join("\n")
    );
}

/// Strongly connected components of the graph with more than one module (Tarjan's algorithm):
/// each is a set of modules that import each other in a cycle. Own-module imports are not in
/// the graph, so a single module is never a cycle.
fn cyclic_components(graph: &Graph) -> Vec<Vec<String>> {
    let mut tarjan = Tarjan::new(graph);
    for module in graph.keys() {
        if !tarjan.index.contains_key(module.as_str()) {
            tarjan.visit(module);
        }
    }
    tarjan.components.retain(|c| c.len() > 1);
    tarjan.components
}

/// State of Tarjan's strongly-connected-components algorithm.
struct Tarjan<'g> {
    graph: &'g Graph,
    next_index: usize,
    index: BTreeMap<&'g str, usize>,
    low: BTreeMap<&'g str, usize>,
    stack: Vec<&'g str>,
    on_stack: BTreeSet<&'g str>,
    components: Vec<Vec<String>>,
}

impl<'g> Tarjan<'g> {
    fn new(graph: &'g Graph) -> Self {
        Tarjan {
            graph,
            next_index: 0,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            components: Vec::new(),
        }
    }

    /// Visits `module` and everything reachable from it (recursion depth is at most the number
    /// of modules, a few dozen).
    fn visit(&mut self, module: &'g str) {
        self.index.insert(module, self.next_index);
        self.low.insert(module, self.next_index);
        self.next_index += 1;
        self.stack.push(module);
        self.on_stack.insert(module);
        let graph = self.graph;
        for next in graph.get(module).into_iter().flat_map(|edges| edges.keys()) {
            let next = next.as_str();
            if !self.index.contains_key(next) {
                self.visit(next);
                let low = self.low[module].min(self.low[next]);
                self.low.insert(module, low);
            } else if self.on_stack.contains(next) {
                let low = self.low[module].min(self.index[next]);
                self.low.insert(module, low);
            }
        }
        if self.low[module] == self.index[module] {
            let mut component = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack.remove(member);
                component.push(member.to_string());
                if member == module {
                    break;
                }
            }
            component.sort();
            self.components.push(component);
        }
    }
}

/// A shortest cycle through `start` that stays inside `members`, as the list of modules visited
/// (`[a, b, c]` for a -> b -> c -> a), found by breadth-first search. Every member of a strongly
/// connected component lies on such a cycle.
fn cycle_through(graph: &Graph, start: &str, members: &[String]) -> Vec<String> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in graph.get(module).into_iter().flat_map(|edges| edges.keys()) {
            if !members.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![module.to_string()];
                let mut at = module;
                while at != start {
                    at = came_from[at];
                    path.push(at.to_string());
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(next.as_str()) {
                came_from.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}

/// One report per cyclic component: its members; concrete cycles that together pass through
/// every member, with one `file:line` per edge; and every import between members (cutting
/// enough of them breaks the component up).
fn describe_cycles(graph: &Graph) -> Vec<String> {
    let mut reports = Vec::new();
    for members in cyclic_components(graph) {
        let mut lines = vec![format!(
            "modules {{{}}} import each other:",
            members.join(", ")
        )];
        let mut covered = BTreeSet::new();
        for member in &members {
            if covered.contains(member) {
                continue;
            }
            let cycle = cycle_through(graph, member, &members);
            lines.extend(describe_cycle(graph, &cycle));
            covered.extend(cycle);
        }
        lines.push("  every import between them:".to_string());
        for from in &members {
            for (to, sites) in &graph[from] {
                if members.contains(to) {
                    lines.push(format!("    {from} -> {to}: {}", sites[0]));
                }
            }
        }
        reports.push(lines.join("\n"));
    }
    reports
}

/// The lines describing one cycle `[a, b, c]`: `a -> b -> c -> a`, then each edge with the
/// first `file:line` that makes it.
fn describe_cycle(graph: &Graph, cycle: &[String]) -> Vec<String> {
    let mut lines = vec![format!("  cycle {} -> {}", cycle.join(" -> "), cycle[0])];
    for (i, from) in cycle.iter().enumerate() {
        let to = &cycle[(i + 1) % cycle.len()];
        lines.push(format!("    {from} -> {to}: {}", graph[from][to][0]));
    }
    lines
}

/// The crate root: `CARGO_MANIFEST_DIR` under cargo, else the current directory (so the file
/// also runs when compiled alone with `rustc --test` from the crate root).
fn crate_root() -> PathBuf {
    match option_env!("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir().expect("the current directory should be readable"),
    }
}

/// Every `.rs` file under `dir`, recursively, as `(path relative to root, text)`.
fn read_sources(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry should be readable").path();
        if path.is_dir() {
            read_sources(root, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let relative = path
                .strip_prefix(root)
                .expect("the file should be under the root");
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push((parts.join("/"), text));
        }
    }
}

/// The module graph of the crate's `src/` as it is on disk.
fn crate_graph() -> Graph {
    let root = crate_root();
    let mut files = Vec::new();
    read_sources(&root, &root.join("src"), &mut files);
    assert!(
        files.iter().any(|(path, _)| path == "src/lib.rs"),
        "no src/lib.rs under {}: run from the crate root",
        root.display()
    );
    files.sort();
    build_graph(&files)
}

#[test]
fn stages_do_not_import_orchestration_outputs_or_cli() {
    let offending = forbidden_imports(&crate_graph(), STAGES, STAGE_FORBIDDEN);
    assert_none(
        "rule 1: the stages (background, lanes, bands, quant) never import pipeline, batch, \
         cache, results, report, manifest, init, imagej, synth or cli",
        &offending,
    );
}

#[test]
fn only_batch_and_cli_import_report() {
    let offending = importers_of(&crate_graph(), "report", REPORT_IMPORTERS);
    assert_none(
        "rule 2: nothing imports report except batch and cli (nothing below batch imports report)",
        &offending,
    );
}

#[test]
fn io_imports_only_params_error_and_stats() {
    let offending = imports_outside(&crate_graph(), "io", IO_ALLOWED);
    assert_none(
        "rule 3: io is the bottom layer and imports only params, error and stats",
        &offending,
    );
}

#[test]
fn stats_and_error_import_nothing_and_params_only_error() {
    let graph = crate_graph();
    let mut offending = Vec::new();
    for leaf in LEAVES {
        offending.extend(imports_outside(&graph, leaf, &[]));
    }
    offending.extend(imports_outside(&graph, "params", PARAMS_ALLOWED));
    assert_none(
        "rule 4: stats and error import no crate module; params imports only error",
        &offending,
    );
}

#[test]
fn report_does_not_run_analyses() {
    let offending = forbidden_imports(&crate_graph(), &["report"], REPORT_FORBIDDEN);
    assert_none(
        "rule 5: report only renders results and imports none of pipeline, batch, cache, init, cli",
        &offending,
    );
}

#[test]
fn nothing_imports_cli() {
    let offending = importers_of(&crate_graph(), CLI, &[]);
    assert_none("rule 6: no module imports cli", &offending);
}

#[test]
fn no_import_cycles_between_modules() {
    let cycles = describe_cycles(&crate_graph());
    assert!(
        cycles.is_empty(),
        "rule 7: no import cycle among top-level modules; {} cycle(s):\n{}",
        cycles.len(),
        cycles.join("\n")
    );
}

/// Tests of the checker itself on in-memory files: it would catch what the rules forbid.
mod checker_tests {
    use super::*;

    /// `(path, text)` pairs as `build_graph` takes them.
    fn files(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    /// `(line, module)` of each import the parser finds in `text` at `path`.
    fn parsed(path: &str, text: &str) -> Vec<(usize, String)> {
        parse_imports(path, text)
            .into_iter()
            .map(|i| (i.line, i.module))
            .collect()
    }

    fn pairs(expected: &[(usize, &str)]) -> Vec<(usize, String)> {
        expected.iter().map(|&(l, m)| (l, m.to_string())).collect()
    }

    #[test]
    fn module_of_maps_files_to_top_level_modules() {
        assert_eq!(module_of("src/lanes/grid.rs").as_deref(), Some("lanes"));
        assert_eq!(module_of("src/quant.rs").as_deref(), Some("quant"));
        assert_eq!(
            module_of("src/pipeline/mod.rs").as_deref(),
            Some("pipeline")
        );
        assert_eq!(module_of("src/main.rs").as_deref(), Some("cli"));
        assert_eq!(module_of("src/cli/args.rs").as_deref(), Some("cli"));
        assert_eq!(module_of("src/lib.rs"), None);
    }

    #[test]
    fn parser_finds_use_statements_and_brace_groups() {
        let text = "use crate::a::X;\nuse crate::b;\npub use crate::{\n    c,\n    \
                    d::e,\n    f::{g, h::i},\n    self,\n};\npub(crate) use crate::j::*;\n";
        let expected = [(1, "a"), (2, "b"), (4, "c"), (5, "d"), (6, "f"), (9, "j")];
        assert_eq!(parsed("src/x.rs", text), pairs(&expected));
    }

    #[test]
    fn parser_finds_inline_paths_and_ignores_super() {
        let text = "fn f() {\n    let m = crate::stats::median(&v);\n}\n\
                    impl crate::io::Foo for Bar {}\nuse super::sibling;\nuse mycrate::z;\n";
        assert_eq!(parsed("src/x.rs", text), pairs(&[(2, "stats"), (4, "io")]));
    }

    #[test]
    fn parser_skips_comments_strings_and_the_test_tail() {
        let text = "// use crate::a;\n/// see [`crate::b::f`]\n//! crate::c\n\
                    let s = \"crate::d\"; let q = '\"'; use crate::e;\n\
                    /* crate::f */ let r = r#\"crate::g\"#;\n\
                    let b = br#\"crate::m\"#; let c = b'\\''; let d = '\\\\'; use crate::n;\n\
                    fn h<'a>(x: &'a crate::k::T) {}\n\
                    #[cfg(test)]\nmod tests {\n    use crate::l;\n}\n";
        let expected = [(4, "e"), (6, "n"), (7, "k")];
        assert_eq!(parsed("src/x.rs", text), pairs(&expected));
    }

    #[test]
    fn parser_reads_the_library_name_only_in_the_cli() {
        let text = "use blotquant::{batch, Params};\nlet x = blotquant::io::load(p);\n";
        assert_eq!(
            parsed("src/main.rs", text),
            pairs(&[(1, "batch"), (1, "Params"), (2, "io")])
        );
        assert_eq!(parsed("src/cli/run.rs", text).len(), 3);
        assert!(parsed("src/report.rs", text).is_empty());
    }

    #[test]
    fn graph_keeps_only_real_modules_other_than_the_own() {
        let graph = build_graph(&files(&[
            ("src/lib.rs", "pub use crate::a::A;"),
            (
                "src/a/mod.rs",
                "use crate::a::inner;\nuse crate::{b, Error};",
            ),
            ("src/a/more.rs", "fn f(x: crate::b::T) -> crate::b::U {}"),
            ("src/b.rs", ""),
        ]));
        let a_imports: Vec<&String> = graph["a"].keys().collect();
        assert_eq!(a_imports, ["b"]);
        let sites: Vec<String> = graph["a"]["b"].iter().map(ToString::to_string).collect();
        let expected = [
            "src/a/mod.rs:2: imports module b",
            "src/a/more.rs:1: imports module b",
        ];
        assert_eq!(sites, expected);
        assert!(graph["b"].is_empty());
        assert!(!graph.contains_key("lib"));
    }

    #[test]
    fn cycle_finder_reports_a_three_module_cycle() {
        let graph = build_graph(&files(&[
            ("src/a.rs", "use crate::b;"),
            ("src/b.rs", "\nuse crate::c;"),
            ("src/c.rs", "use crate::a;\nuse crate::d;"),
            ("src/d.rs", ""),
        ]));
        assert_eq!(cyclic_components(&graph), [["a", "b", "c"]]);
        let reports = describe_cycles(&graph);
        assert_eq!(reports.len(), 1);
        assert!(
            reports[0].contains("cycle a -> b -> c -> a"),
            "{}",
            reports[0]
        );
        assert!(
            reports[0].contains("b -> c: src/b.rs:2: imports module c"),
            "{}",
            reports[0]
        );
    }

    #[test]
    fn cycle_finder_reports_nothing_on_a_dag() {
        let graph = build_graph(&files(&[
            ("src/a.rs", "use crate::{b, c};"),
            ("src/b.rs", "use crate::c;"),
            ("src/c.rs", "use crate::d;"),
            ("src/d.rs", ""),
        ]));
        assert!(cyclic_components(&graph).is_empty());
        assert!(describe_cycles(&graph).is_empty());
    }

    #[test]
    fn stage_rule_catches_lanes_importing_report() {
        let graph = build_graph(&files(&[
            ("src/lanes/mod.rs", "use crate::stats;"),
            ("src/lanes/grid.rs", "fn f() { crate::report::write(); }"),
            ("src/report/mod.rs", ""),
            ("src/stats.rs", ""),
        ]));
        let offending = forbidden_imports(&graph, STAGES, STAGE_FORBIDDEN);
        let shown: Vec<String> = offending.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["src/lanes/grid.rs:1: imports module report"]);
        assert_eq!(importers_of(&graph, "report", REPORT_IMPORTERS), offending);
        assert!(imports_outside(&graph, "lanes", &["stats", "report"]).is_empty());
    }
}
