//! Numbers and names as the reports show them: values with units scaled to a readable size
//! and three significant digits, and untrusted names made inert in Markdown.

use crate::results::Unit;

/// Longest name shown in a report; longer ones are cut with `…` (the JSON keeps them whole).
pub(crate) const MAX_NAME_CHARS: usize = 120;

/// A value with its unit, scaled: `12.3 ms`, `48.1k events/s`, `93.2%`.
pub(crate) fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Nanoseconds | Unit::Microseconds | Unit::Milliseconds | Unit::Seconds => {
            let secs = v * match unit {
                Unit::Nanoseconds => 1e-9,
                Unit::Microseconds => 1e-6,
                Unit::Milliseconds => 1e-3,
                _ => 1.0,
            };
            duration(secs)
        }
        Unit::OpsPerSecond
        | Unit::EventsPerSecond
        | Unit::PointsPerSecond
        | Unit::ElementsPerSecond
        | Unit::Count => format!("{} {}", si(v), unit.as_str()),
        Unit::BytesPerSecond => format!("{}B/s", si_tight(v)),
        Unit::Bytes => format!("{}B", si_tight(v)),
        Unit::MegabytesPerSecond | Unit::Megabytes => format!("{} {}", sig(v), unit.as_str()),
        Unit::Percent => format!("{}%", sig(v)),
        Unit::Ratio => sig(v),
    }
}

fn duration(secs: f64) -> String {
    let a = secs.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-6 {
        format!("{} ns", sig(secs * 1e9))
    } else if a < 1e-3 {
        format!("{} µs", sig(secs * 1e6))
    } else if a < 1.0 {
        format!("{} ms", sig(secs * 1e3))
    } else {
        format!("{} s", sig(secs))
    }
}

/// SI prefix for counts and rates from 10,000 up: `9999`, `12.3k`, `4.56M`.
fn si(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", sig(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", sig(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", sig(v / 1e3))
    } else {
        sig(v)
    }
}

/// SI prefix for bytes, with the space before the prefix: `512 `, `1.5 k`, `64 M`.
fn si_tight(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{} G", sig(v / 1e9))
    } else if a >= 1e6 {
        format!("{} M", sig(v / 1e6))
    } else if a >= 1e3 {
        format!("{} k", sig(v / 1e3))
    } else {
        format!("{} ", sig(v))
    }
}

/// Three significant digits, without trailing zeros: `12.3`, `0.00123`, `1234`.
pub(crate) fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            format!("{v}")
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A relative change with its sign: `+12.5%`, `-3%`, `+250%`.
pub(crate) fn change(f: f64) -> String {
    let p = f * 100.0;
    let body = if p.abs() >= 100.0 {
        format!("{:.0}", p.abs())
    } else {
        sig1(p.abs())
    };
    if p < 0.0 && body != "0" {
        format!("-{body}%")
    } else {
        format!("+{body}%")
    }
}

/// One decimal, without a trailing `.0`.
fn sig1(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A threshold fraction as a percentage: `10%`, `12.5%`.
pub(crate) fn percent(f: f64) -> String {
    format!("{}%", sig1(f * 100.0))
}

/// Git commits are shown short, like `git log --oneline`.
pub(crate) fn short_commit(s: &str) -> &str {
    if s.len() > 7 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        &s[..7]
    } else {
        s
    }
}

/// An untrusted string (a benchmark name from PR code, a CPU model) shown as code:
/// `<code>` with every character that Markdown, HTML or a GFM table would act on escaped.
///
/// A Markdown code span would show names verbatim, but it leaves `<`, `|` and backticks raw
/// in the text, where one delimiter miscounted turns them live; escaped text inside an HTML
/// `<code>` element cannot be turned live, and GitHub links no @mentions or #references
/// inside `code`.
pub(crate) fn code(s: &str) -> String {
    let escaped = escape(s, MAX_NAME_CHARS, false);
    if escaped.trim().is_empty() {
        return "(empty)".into();
    }
    format!("<code>{escaped}</code>")
}

/// Untrusted text outside `<code>` (warnings, reasons, notes): as [`code`] escapes it, and
/// with @mentions defused by a zero-width space after the `@`.
pub(crate) fn text(s: &str) -> String {
    escape(s, MAX_NAME_CHARS * 4, true)
}

fn escape(s: &str, max_chars: usize, defuse_mentions: bool) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 2) + 8);
    for (n, c) in s.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // GFM splits table cells on a literal `|` before it decodes entities.
            '|' => out.push_str("&#124;"),
            '@' if defuse_mentions => out.push_str("@\u{200b}"),
            // Emphasis, links, images, code spans, strikethrough, math and escapes.
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // Line breaks (Unicode's included) would end a table row; other controls are
            // invisible and can hide text.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_scale_with_three_significant_digits() {
        assert_eq!(value(12_345.0, Unit::Microseconds), "12.3 ms");
        assert_eq!(value(0.5, Unit::Milliseconds), "500 µs");
        assert_eq!(value(999.0, Unit::Nanoseconds), "999 ns");
        assert_eq!(value(1.5, Unit::Seconds), "1.5 s");
        assert_eq!(value(48_123.0, Unit::EventsPerSecond), "48.1k events/s");
        assert_eq!(value(9_500.0, Unit::OpsPerSecond), "9500 ops/s");
        assert_eq!(value(2.5e6, Unit::PointsPerSecond), "2.5M points/s");
        assert_eq!(value(1_234.6, Unit::MegabytesPerSecond), "1235 MB/s");
        assert_eq!(value(93.26, Unit::Percent), "93.3%");
        assert_eq!(value(0.9512, Unit::Ratio), "0.951");
        assert_eq!(value(64e6, Unit::Bytes), "64 MB");
        assert_eq!(value(0.0, Unit::Milliseconds), "0 s");
        assert_eq!(value(0.000_123_4, Unit::Ratio), "0.000123");
    }

    #[test]
    fn changes_and_percentages() {
        assert_eq!(change(0.125), "+12.5%");
        assert_eq!(change(-0.03), "-3%");
        assert_eq!(change(2.5), "+250%");
        assert_eq!(change(0.0), "+0%");
        assert_eq!(change(-0.0001), "+0%");
        assert_eq!(percent(0.1), "10%");
        assert_eq!(percent(0.025), "2.5%");
    }

    #[test]
    fn code_is_escaped_html() {
        assert_eq!(code("a/b_c"), "<code>a/b\\_c</code>");
        assert_eq!(code("a|b"), "<code>a&#124;b</code>");
        assert_eq!(code("a`b"), "<code>a\\`b</code>");
        assert_eq!(code("<x>&"), "<code>&lt;x&gt;&amp;</code>");
        assert_eq!(code("a\nb\r\tc"), "<code>a b  c</code>");
        assert_eq!(code("@team"), "<code>@team</code>");
        assert_eq!(code(""), "(empty)");
        let long = "x".repeat(500);
        assert_eq!(code(&long).chars().count(), MAX_NAME_CHARS + 1 + 13);
    }

    #[test]
    fn text_is_inert() {
        assert_eq!(text("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
        assert_eq!(text("@team [x](y) *z*"), "@\u{200b}team \\[x\\](y) \\*z\\*");
        assert_eq!(text("a\nb|c"), "a b&#124;c");
    }
}
