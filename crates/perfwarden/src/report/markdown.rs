//! The Markdown report, made for a PR comment: a hidden marker, a one-line verdict, the
//! failures as tables, the rest folded. Pure renderers, one per section, writing into a
//! `String`; the whole stays under GitHub's comment limit.

use super::format::{self, code};
use crate::gate::confirmation::Status;
use crate::gate::{Comparison, MetricComparison, Reference, Verdict};
use crate::results::Environment;

/// The first line of every report: the bot finds (and updates) its own comment by it.
pub const MARKER: &str = "<!-- perfwarden-report -->";

/// GitHub refuses comment bodies over 65,536 characters. The report counts bytes, which are
/// never fewer than characters, so it stays under the limit whatever the text.
pub const GITHUB_LIMIT: usize = 65_536;

/// Room kept for the note that says how many rows were left out.
const NOTE_ROOM: usize = 160;
/// At most this many warning lines; the rest are counted.
const MAX_WARNINGS: usize = 10;

/// What a report may carry beside the comparison: links for the reader and the recent trend
/// of regressed metrics. Both are made by trusted code (the links from the CI run's own
/// identifiers, the charts from the nightly history), never taken from the measured run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    /// `(text, url)` pairs, e.g. the CI run and its artifact.
    pub(crate) links: Vec<(String, String)>,
    /// `(metric id, Mermaid block)` for regressed metrics with a history.
    pub(crate) trends: Vec<(String, String)>,
    /// What the current run's numbers say about its limits ([`findings`](super::findings)).
    pub(crate) findings: Vec<super::findings::Finding>,
}

/// The report within GitHub's limit.
pub fn render(c: &Comparison) -> String {
    render_limited(c, &Extras::default(), GITHUB_LIMIT)
}

/// The report with its extras, within GitHub's limit.
pub(crate) fn render_with(c: &Comparison, extras: &Extras) -> String {
    render_limited(c, extras, GITHUB_LIMIT)
}

/// The report within `limit` bytes. The verdict line, the warnings and the environments are
/// always there; table rows are added in order of importance (regressions, broken budgets,
/// trends, improvements, then the folded rest) while they fit, and a note counts the ones
/// left out.
pub fn render_limited(c: &Comparison, extras: &Extras, limit: usize) -> String {
    let mut tail = String::new();
    environments(&mut tail, c);
    footer(&mut tail);

    let mut out = String::with_capacity(limit.min(1 << 16));
    out.push_str(MARKER);
    out.push('\n');
    verdict_line(&mut out, c);
    reference(&mut out, c);
    links(&mut out, extras);
    warnings(&mut out, c);

    let mut room = Room {
        end: limit.saturating_sub(tail.len() + NOTE_ROOM),
        left_out: 0,
    };
    regressions(&mut out, c, &mut room);
    trends(&mut out, extras, &mut room);
    budgets(&mut out, c, &mut room);
    findings(&mut out, extras, &mut room);
    improvements(&mut out, c, &mut room);
    folded(&mut out, c, &mut room);
    if room.left_out > 0 {
        out.push_str(&format!(
            "\n_{} rows were left out to stay under GitHub's comment size limit; \
             `verdict.json` has every metric._\n",
            room.left_out
        ));
    }
    out.push_str(&tail);
    out
}

/// How much of the body is left, and how many rows did not fit.
struct Room {
    /// The length `out` may reach (before the tail and the final note).
    end: usize,
    left_out: usize,
}

impl Room {
    fn fits(&self, out: &str, extra: usize) -> bool {
        out.len() + extra <= self.end
    }
}

/// Writes a titled table: the title, the header and as many rows as fit. A table whose
/// first row does not fit is left out whole, with one line saying so when that fits.
fn table<I>(out: &mut String, room: &mut Room, title: &str, header: &str, rows: I)
where
    I: ExactSizeIterator<Item = String>,
{
    let total = rows.len();
    if total == 0 {
        return;
    }
    let mut rows = rows.peekable();
    let first_len = rows.peek().map_or(0, String::len);
    if !room.fits(out, title.len() + header.len() + first_len) {
        let note = format!("{title}_{total} rows not shown (size limit)._\n");
        if room.fits(out, note.len()) {
            out.push_str(&note);
        }
        room.left_out += total;
        return;
    }
    out.push_str(title);
    out.push_str(header);
    let mut shown = 0;
    for row in rows {
        if !room.fits(out, row.len()) {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < total {
        let more = total - shown;
        out.push_str(&format!("\n_… and {more} more (size limit)._\n"));
        room.left_out += more;
    }
}

/// The one-line verdict, e.g. "**perfwarden: failed, 2 regressions, 1 broken budget**
/// against baseline `abc1234` (machine class `x`): 3 improvements, 120 stable."
fn verdict_line(out: &mut String, c: &Comparison) {
    let failing = |f: &dyn Fn(&MetricComparison) -> bool| {
        c.metrics.iter().filter(|m| m.fails && f(m)).count()
    };
    let mut fails = Vec::new();
    for (v, n) in [
        (
            Verdict::Critical,
            failing(&|m| m.relative == Verdict::Critical && m.gated),
        ),
        (
            Verdict::Regression,
            failing(&|m| m.relative == Verdict::Regression && m.gated),
        ),
        (Verdict::BudgetBroken, failing(&|m| m.budget_broken())),
        (
            Verdict::Missing,
            failing(&|m| m.relative == Verdict::Missing),
        ),
    ] {
        if n > 0 {
            fails.push(format!("{n} {}", v.words(n)));
        }
    }
    let headline = if c.passed() {
        "perfwarden: passed, no regressions".to_string()
    } else {
        format!("perfwarden: failed, {}", fails.join(", "))
    };
    let b = &c.baseline;
    let commit = b
        .git_commit
        .as_deref()
        .map(|s| code(format::short_commit(s)))
        .unwrap_or_else(|| "(no commit recorded)".into());
    let machine = if c.machine_mismatch {
        format!(
            "machine class {}; this run: {}",
            code(&b.machine_class),
            code(&c.current.machine_class)
        )
    } else {
        format!("machine class {}", code(&b.machine_class))
    };
    let t = &c.totals;
    let ungated = c
        .metrics
        .iter()
        .filter(|m| !m.gated && matches!(m.relative, Verdict::Critical | Verdict::Regression))
        .count();
    let mut rest = Vec::new();
    let not_failing_missing = t.missing - failing(&|m| m.relative == Verdict::Missing);
    for (n, words) in [
        (
            ungated,
            if ungated == 1 {
                "regression not gated"
            } else {
                "regressions not gated"
            },
        ),
        (t.improvement, Verdict::Improvement.words(t.improvement)),
        (t.inconclusive, "inconclusive"),
        (not_failing_missing, "missing"),
        (t.new, "new"),
        (t.stable, "stable"),
    ] {
        if n > 0 {
            rest.push(format!("{n} {words}"));
        }
    }
    let rest = if rest.is_empty() {
        ".".to_string()
    } else {
        format!(": {}.", rest.join(", "))
    };
    out.push_str(&format!(
        "**{headline}** against baseline {commit} ({machine}){rest}\n"
    ));
}

/// What the baseline side is when it is not a committed file, and how flags were
/// re-measured.
fn reference(out: &mut String, c: &Comparison) {
    if let Reference::MeasuredNow { commit, rounds } = &c.reference {
        out.push_str(&format!(
            "\n> **Reference:** no baseline is committed for machine class {}, so commit {} \
             was built and measured now, on this machine, in {rounds} rounds interleaved with \
             this tree. It is not a committed baseline.\n",
            code(&c.current.machine_class),
            code(format::short_commit(commit)),
        ));
    }
    let Some(conf) = &c.confirmation else {
        return;
    };
    let count = |want: &str| {
        c.metrics
            .iter()
            .filter_map(|m| m.confirmation.as_ref())
            .filter(|m| m.status.as_str() == want)
            .count()
    };
    let commit = conf
        .baseline_commit
        .as_deref()
        .map_or_else(|| "(unknown)".into(), |s| code(format::short_commit(s)));
    if conf.rounds == 0 {
        let unchanged = count("unchanged");
        out.push_str(&if unchanged > 0 {
            format!(
                "\nThe code measured is commit {commit}'s, the baseline's: nothing that builds \
                 or runs a bench changed since (only {}). So the {unchanged} metrics the gate \
                 flagged are the machine's doing and were not re-measured (they do not fail; \
                 a broken budget still does).\n",
                crate::gate::unchanged::INERT
            )
        } else {
            format!(
                "\nFlagged metrics were not re-measured: the measuring job found the code \
                 unchanged since commit {commit}, which was not verified here; {} stand \
                 unconfirmed.\n",
                count("unconfirmed")
            )
        });
        return;
    }
    out.push_str(&format!(
        "\nFlagged metrics were re-measured against commit {commit} in {} alternating rounds \
         (baseline, current) at profile {}: {} confirmed, {} drift (does not fail), {} \
         unconfirmed.\n",
        conf.rounds,
        code(&conf.profile),
        count("confirmed"),
        count("drift"),
        count("unconfirmed"),
    ));
    let second: Vec<_> = c
        .metrics
        .iter()
        .filter_map(|m| m.confirmation.as_ref()?.paired.as_ref()?.first_look)
        .collect();
    if !second.is_empty() {
        out.push_str(&format!(
            "\n{} of them had {} more rounds: their first {} were beyond the threshold, but \
             too spread to bound the change beyond it; all their rounds were then judged \
             together at {}% confidence.\n",
            second.len(),
            conf.rounds,
            conf.rounds,
            crate::gate::confirmation::SECOND_LOOK * 100.0
        ));
    }
    for (suite, shift) in crate::gate::drift::drifted_suites(c) {
        out.push_str(&format!(
            "\nSuite {} ran faster than its committed baseline as a body (median change \
             {shift:.1} × its thresholds), so every one of its metrics was re-measured: a \
             slowdown can hide under such drift.\n",
            code(&suite)
        ));
    }
}

/// One metric's confirmation, for its table row.
fn confirmation_cell(c: &crate::gate::MetricConfirmation) -> String {
    let paired = c.paired.as_ref().map(|p| {
        let bound = p
            .lower_bound
            .map(|b| {
                let level = format!("{:.1}", p.confidence() * 100.0);
                let level = level.trim_end_matches(".0");
                format!(", at least {} at {level}%", format::change(b))
            })
            .unwrap_or_default();
        let second = p
            .first_look
            .map(|k| {
                format!(
                    "; the first {k} rounds left it open, so {} more were run",
                    p.rounds() - k
                )
            })
            .unwrap_or_default();
        let change = match p.p_value {
            // A counter with 0 on one side of a round: pooled over the rounds, and ranked.
            Some(pv) if p.paired_change == crate::gate::confirmation::FROM_ZERO => {
                format!("from 0 in every baseline run, rank test p {pv:.2}")
            }
            Some(pv) => format!(
                "pooled {}, rank test p {pv:.2}",
                format::change(p.paired_change)
            ),
            None => format!("paired {}", format::change(p.paired_change)),
        };
        // Why a change the rounds agreed on is still drift, and what would settle it.
        let resolve = p
            .rounds_to_resolve
            .zip(p.run_noise)
            .map(|(n, noise)| {
                format!(
                    "; one run varies by {:.0}% from the next here: {n} rounds could tell",
                    noise * 100.0
                )
            })
            .unwrap_or_default();
        format!(
            " ({change}, {}/{} beyond{bound}{second}{resolve})",
            p.beyond,
            p.rounds()
        )
    });
    match &c.status {
        Status::Unconfirmed { reason } => format!("unconfirmed: {}", format::text(reason)),
        Status::Unchanged => "unchanged: the code is the baseline's, not re-measured".into(),
        s => format!("{}{}", s.as_str(), paired.unwrap_or_default()),
    }
}

/// Links for the reader (the run, its artifact with the HTML report).
fn links(out: &mut String, extras: &Extras) {
    if extras.links.is_empty() {
        return;
    }
    let links: Vec<String> = extras
        .links
        .iter()
        .map(|(text, url)| format!("[{}]({})", format::text(text), url_text(url)))
        .collect();
    out.push_str(&format!("\n{}\n", links.join(" · ")));
}

/// A URL as link target: only http(s) and characters that cannot end the link or start
/// markup; anything else is dropped.
fn url_text(url: &str) -> String {
    let ok = url.starts_with("https://") || url.starts_with("http://");
    if !ok {
        return String::new();
    }
    url.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "/:.-_~?=&%#+".contains(*c))
        .collect()
}

/// The recent trend of regressed metrics, as Mermaid charts, while they fit.
fn trends(out: &mut String, extras: &Extras, room: &mut Room) {
    if extras.trends.is_empty() {
        return;
    }
    let title = "\n<details><summary>Nightly trend of the regressed metrics</summary>\n\n";
    let end = "\n</details>\n";
    if !room.fits(out, title.len() + end.len()) {
        return;
    }
    out.push_str(title);
    for (id, chart) in &extras.trends {
        let block = format!("{}\n\n{chart}\n", code(id));
        if !room.fits(out, block.len() + end.len()) {
            room.left_out += 1;
            continue;
        }
        out.push_str(&block);
    }
    out.push_str(end);
}

/// What a reader must know before trusting the numbers.
fn warnings(out: &mut String, c: &Comparison) {
    if c.warnings.is_empty() {
        return;
    }
    out.push('\n');
    for w in c.warnings.iter().take(MAX_WARNINGS) {
        out.push_str(&format!("> **Warning:** {}\n", format::text(w)));
    }
    if c.warnings.len() > MAX_WARNINGS {
        out.push_str(&format!(
            "> … and {} more warnings.\n",
            c.warnings.len() - MAX_WARNINGS
        ));
    }
}

const CHANGE_HEADER: &str = "\n| Benchmark | Metric | Baseline | Current | Change | Interval | Threshold |\n\
|---|---|--:|--:|--:|:-:|--:|\n";

/// Regressions and critical changes, the worst first.
fn regressions(out: &mut String, c: &Comparison, room: &mut Room) {
    let mut rows: Vec<&MetricComparison> = c
        .metrics
        .iter()
        .filter(|m| matches!(m.relative, Verdict::Critical | Verdict::Regression))
        .collect();
    rows.sort_by(|a, b| a.relative.cmp(&b.relative).then(by_magnitude(a, b)));
    let title = format!("\n### Regressions ({})\n", rows.len());
    table(
        out,
        room,
        &title,
        CHANGE_HEADER,
        rows.into_iter().map(change_row),
    );
}

/// Improvements, the largest first.
fn improvements(out: &mut String, c: &Comparison, room: &mut Room) {
    let mut rows: Vec<&MetricComparison> = c
        .metrics
        .iter()
        .filter(|m| m.relative == Verdict::Improvement)
        .collect();
    rows.sort_by(by_magnitude);
    let title = format!("\n### Improvements ({})\n", rows.len());
    table(
        out,
        room,
        &title,
        CHANGE_HEADER,
        rows.into_iter().map(change_row),
    );
}

fn by_magnitude(a: &&MetricComparison, b: &&MetricComparison) -> std::cmp::Ordering {
    let mag = |m: &MetricComparison| m.change.map_or(f64::INFINITY, f64::abs);
    mag(b).total_cmp(&mag(a)).then_with(|| a.id.cmp(&b.id))
}

fn change_row(m: &MetricComparison) -> String {
    let mut change = m.change.map_or_else(|| "new from 0".into(), format::change);
    change = format!("**{change}**");
    if m.relative == Verdict::Critical {
        change.push_str(" critical");
    }
    if !m.gated && matches!(m.relative, Verdict::Critical | Verdict::Regression) {
        change.push_str(" (not gated)");
    }
    if let Some(conf) = &m.confirmation {
        change.push_str(&format!(" · {}", confirmation_cell(conf)));
    }
    let interval = m.change_interval.map_or_else(
        || "n/a".into(),
        |[lo, hi]| format!("{} to {}", format::change(lo), format::change(hi)),
    );
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        bench_cell(m),
        code(&m.metric),
        side(m, true),
        side(m, false),
        change,
        interval,
        format::percent(m.threshold),
    )
}

fn bench_cell(m: &MetricComparison) -> String {
    code(&format!("{}/{}", m.suite, m.benchmark))
}

fn side(m: &MetricComparison, baseline: bool) -> String {
    let o = if baseline { &m.baseline } else { &m.current };
    o.as_ref()
        .map_or_else(|| "n/a".into(), |o| format::value(o.value, m.unit))
}

/// Every broken budget, one row each.
fn budgets(out: &mut String, c: &Comparison, room: &mut Room) {
    let rows: Vec<String> = c
        .metrics
        .iter()
        .flat_map(|m| m.budgets.iter().filter(|b| b.broken).map(move |b| (m, b)))
        .map(|(m, b)| {
            let limit = match (b.min, b.max) {
                (Some(lo), Some(hi)) => format!(
                    "{} to {}",
                    format::value(lo, b.unit),
                    format::value(hi, b.unit)
                ),
                (Some(lo), None) => format!("≥ {}", format::value(lo, b.unit)),
                (None, Some(hi)) => format!("≤ {}", format::value(hi, b.unit)),
                (None, None) => "n/a".into(),
            };
            format!(
                "| {} | {} | **{}** | {} | {} |\n",
                bench_cell(m),
                code(&m.metric),
                format::value(b.value, b.unit),
                limit,
                b.note.as_deref().map(format::text).unwrap_or_default(),
            )
        })
        .collect();
    let title = format!("\n### Broken budgets ({})\n", rows.len());
    let header = "\n| Benchmark | Metric | Current | Budget | Target |\n|---|---|--:|--:|---|\n";
    table(out, room, &title, header, rows.into_iter());
}

/// The findings, each with the numbers it rests on.
fn findings(out: &mut String, extras: &Extras, room: &mut Room) {
    let rows: Vec<String> = extras
        .findings
        .iter()
        .map(|f| format!("| {} | {} |\n", code(&f.subject), format::text(&f.text)))
        .collect();
    let title = format!("\n### Findings ({})\n", rows.len());
    let header = "\n| Benchmark | What the numbers say |\n|---|---|\n";
    table(out, room, &title, header, rows.into_iter());
}

/// Missing, inconclusive, new and stable metrics, folded.
fn folded(out: &mut String, c: &Comparison, room: &mut Room) {
    let of = |v: Verdict| -> Vec<&MetricComparison> {
        c.metrics.iter().filter(|m| m.relative == v).collect()
    };
    let groups = [
        (Verdict::Missing, of(Verdict::Missing)),
        (Verdict::Inconclusive, of(Verdict::Inconclusive)),
        (Verdict::New, of(Verdict::New)),
        (Verdict::Stable, of(Verdict::Stable)),
    ];
    let summary: Vec<String> = groups
        .iter()
        .filter(|(_, ms)| !ms.is_empty())
        .map(|(v, ms)| format!("{} {}", ms.len(), v.words(ms.len())))
        .collect();
    if summary.is_empty() {
        return;
    }
    let open = format!("\n<details><summary>{}</summary>\n", summary.join(", "));
    const CLOSE: &str = "\n</details>\n";
    if !room.fits(out, open.len() + CLOSE.len()) {
        room.left_out += groups.iter().map(|(_, ms)| ms.len()).sum::<usize>();
        return;
    }
    out.push_str(&open);
    room.end -= CLOSE.len();
    for (verdict, ms) in groups {
        let title = format!("\n#### {} ({})\n", capitalised(verdict.words(2)), ms.len());
        match verdict {
            Verdict::Missing => table(
                out,
                room,
                &title,
                "\n| Benchmark | Metric | Baseline | Why |\n|---|---|--:|---|\n",
                ms.into_iter().map(|m| {
                    format!(
                        "| {} | {} | {} | {} |\n",
                        bench_cell(m),
                        code(&m.metric),
                        side(m, true),
                        format::text(&m.reason)
                    )
                }),
            ),
            Verdict::Inconclusive => table(
                out,
                room,
                &title,
                "\n| Benchmark | Metric | Baseline | Current | Change | Why |\n|---|---|--:|--:|--:|---|\n",
                ms.into_iter().map(|m| {
                    format!(
                        "| {} | {} | {} | {} | {} | {} |\n",
                        bench_cell(m),
                        code(&m.metric),
                        side(m, true),
                        side(m, false),
                        m.change.map_or_else(|| "n/a".into(), format::change),
                        format::text(&m.reason)
                            + &m.confirmation.as_ref().map_or_else(String::new, |c| {
                                format!(" · re-measured: {}", confirmation_cell(c))
                            })
                    )
                }),
            ),
            Verdict::New => table(
                out,
                room,
                &title,
                "\n| Benchmark | Metric | Current |\n|---|---|--:|\n",
                ms.into_iter().map(|m| {
                    format!(
                        "| {} | {} | {} |\n",
                        bench_cell(m),
                        code(&m.metric),
                        side(m, false)
                    )
                }),
            ),
            _ => table(
                out,
                room,
                &title,
                "\n| Benchmark | Metric | Baseline | Current | Change |\n|---|---|--:|--:|--:|\n",
                ms.into_iter().map(|m| {
                    format!(
                        "| {} | {} | {} | {} | {} |\n",
                        bench_cell(m),
                        code(&m.metric),
                        side(m, true),
                        side(m, false),
                        m.change.map_or_else(|| "n/a".into(), format::change)
                    )
                }),
            ),
        }
    }
    room.end += CLOSE.len();
    out.push_str(CLOSE);
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Both sides' environments, folded.
fn environments(out: &mut String, c: &Comparison) {
    let (b, k) = (&c.baseline, &c.current);
    out.push_str("\n<details><summary>Environments</summary>\n\n");
    out.push_str("| | Baseline | Current |\n|---|---|---|\n");
    let row = |out: &mut String, name: &str, f: &dyn Fn(&Environment) -> String| {
        out.push_str(&format!("| {name} | {} | {} |\n", f(b), f(k)));
    };
    row(out, "Machine class", &|e| code(&e.machine_class));
    row(out, "CPU", &|e| code(&e.cpu_model));
    row(out, "Cores", &|e| e.cores.to_string());
    row(out, "OS", &|e| code(&e.os));
    row(out, "rustc", &|e| code(&e.rustc));
    row(out, "Commit", &|e| {
        e.git_commit.as_deref().map_or_else(|| "n/a".into(), code)
    });
    row(out, "Measured at", &|e| code(&e.timestamp));
    row(out, "Profile", &|e| code(&e.profile));
    if !(b.services.is_empty() && k.services.is_empty()) {
        row(out, "Services", &|e| {
            let served: Vec<String> = e
                .services
                .iter()
                .map(|(key, what)| format!("{} {}", code(key), code(what)))
                .collect();
            if served.is_empty() {
                "n/a".into()
            } else {
                served.join("<br>")
            }
        });
    }
    out.push_str("\n</details>\n");
}

/// How to read the report, in one line.
fn footer(out: &mut String) {
    out.push_str(
        "\n<sub>A change fails the gate when it is beyond its threshold and, where both sides \
         carry samples or intervals, statistically real (Welch's t-test). Intervals are those \
         of the change. Every metric's reason is in `verdict.json`.</sub>\n",
    );
}
