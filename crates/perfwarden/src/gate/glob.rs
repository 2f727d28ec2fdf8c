//! Patterns naming metrics in the config: `suite/benchmark/metric` ids matched segment by
//! segment, where `*` matches within one segment, `?` one character, `**` as a whole
//! segment any number of segments (none included), and `{a,b}` as a whole segment any one of
//! the names listed (`qdrant_search/*/{grpc,rest}/**`: the server's protocols only).
//!
//! Benchmark names contain `/` (`mixtral/grpc/dense`), so `qdrant_search/*/latency_mean`
//! matches only one-segment benchmarks while `qdrant_search/**/latency_mean` matches them all.
//! A hand-written matcher keeps the config free of a regex dependency and its errors simple.

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    text: String,
    segments: Vec<Segment>,
    exact: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of whole segments.
    AnyDepth,
    /// A segment without wildcards, compared as is.
    Literal(String),
    /// A segment with `*` or `?`.
    Wild(Vec<char>),
    /// `{a,b}`: any one of these names.
    OneOf(Vec<String>),
}

impl Pattern {
    /// Compiles a pattern. Errors are one line, without the config path.
    pub(crate) fn new(text: &str) -> Result<Pattern, String> {
        if text.trim().is_empty() {
            return Err("empty pattern".into());
        }
        let mut segments = Vec::new();
        for seg in text.split('/') {
            if seg.is_empty() {
                return Err(format!("pattern {text:?} has an empty segment"));
            }
            if seg == "**" {
                segments.push(Segment::AnyDepth);
            } else if seg.contains("**") {
                return Err(format!(
                    "pattern {text:?}: `**` must be a whole segment (between slashes)"
                ));
            } else if let Some(list) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let names: Vec<String> = list.split(',').map(str::to_string).collect();
                if names
                    .iter()
                    .any(|n| n.is_empty() || n.contains(['*', '?', '{', '}']))
                {
                    return Err(format!(
                        "pattern {text:?}: `{{...}}` lists plain names separated by commas"
                    ));
                }
                segments.push(Segment::OneOf(names));
            } else if seg.contains(['{', '}']) {
                return Err(format!(
                    "pattern {text:?}: `{{a,b}}` must be a whole segment (between slashes)"
                ));
            } else if seg.contains(['*', '?']) {
                segments.push(Segment::Wild(seg.chars().collect()));
            } else {
                segments.push(Segment::Literal(seg.to_string()));
            }
        }
        let exact = segments.iter().all(|s| matches!(s, Segment::Literal(_)));
        Ok(Pattern {
            text: text.to_string(),
            segments,
            exact,
        })
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern has no wildcard: it names exactly one metric id.
    pub(crate) fn is_exact(&self) -> bool {
        self.exact
    }

    /// True when `id` (a `suite/benchmark/metric` id), already split on `/` as `parts`,
    /// matches: one metric is split once for all the patterns of a config.
    pub(crate) fn matches_split(&self, id: &str, parts: &[&str]) -> bool {
        if self.exact {
            return self.text == id;
        }
        match_segments(&self.segments, parts)
    }
}

fn match_segments(pattern: &[Segment], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::AnyDepth, rest)) => {
            (0..=parts.len()).any(|skip| match_segments(rest, &parts[skip..]))
        }
        Some((seg, rest)) => match parts.split_first() {
            None => false,
            Some((part, tail)) => match_one(seg, part) && match_segments(rest, tail),
        },
    }
}

fn match_one(seg: &Segment, part: &str) -> bool {
    match seg {
        Segment::AnyDepth => true,
        Segment::Literal(l) => l == part,
        Segment::OneOf(names) => names.iter().any(|n| n == part),
        Segment::Wild(p) => {
            if part.is_ascii() {
                wild(p, part.as_bytes(), |b| b as char)
            } else {
                let s: Vec<char> = part.chars().collect();
                wild(p, &s, |c| c)
            }
        }
    }
}

/// Classic `*`/`?` matching with one backtrack point: linear in practice. Generic over the
/// subject's element so ASCII names (nearly all) are matched without collecting chars.
fn wild<T: Copy>(p: &[char], s: &[T], ch: impl Fn(T) -> char) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == ch(s[si])) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, id: &str) -> bool {
        let parts: Vec<&str> = id.split('/').collect();
        Pattern::new(p).unwrap().matches_split(id, &parts)
    }

    #[test]
    fn exact_ids() {
        assert!(m("a/b/c", "a/b/c"));
        assert!(!m("a/b/c", "a/b/cd"));
        assert!(Pattern::new("a/b/c").unwrap().is_exact());
    }

    #[test]
    fn star_stays_within_a_segment() {
        assert!(m(
            "qdrant_search/*/latency_mean",
            "qdrant_search/mixtral/latency_mean"
        ));
        assert!(!m(
            "qdrant_search/*/latency_mean",
            "qdrant_search/mixtral/grpc/latency_mean"
        ));
        assert!(m("q*/*/latency_p9?", "qdrant_search/x/latency_p95"));
        assert!(!m("q*/*/latency_p9?", "qdrant_search/x/latency_p999"));
        assert!(m("a/*x*y/c", "a/zzxzzy/c"));
        assert!(m("a/é*/c", "a/été/c"));
        assert!(!m("a/é?/c", "a/été/c"));
    }

    #[test]
    fn double_star_spans_segments_including_none() {
        let p = "qdrant_search/**/latency_mean";
        assert!(m(p, "qdrant_search/latency_mean"));
        assert!(m(p, "qdrant_search/mixtral/latency_mean"));
        assert!(m(p, "qdrant_search/mixtral/grpc/dense/latency_mean"));
        assert!(!m(p, "redis_cache/mixtral/latency_mean"));
        assert!(m("**", "anything/at/all"));
        assert!(m(
            "grpc_windows/**",
            "grpc_windows/default/write/64MB/mb_per_s"
        ));
    }

    #[test]
    fn braces_name_one_of_a_list_in_a_whole_segment() {
        let p = "qdrant_search/*/{grpc,rest}/{dense,filter}/latency_mean";
        assert!(m(p, "qdrant_search/mixtral/grpc/dense/latency_mean"));
        assert!(m(p, "qdrant_search/mixtral/rest/filter/latency_mean"));
        assert!(!m(p, "qdrant_search/mixtral/embedded/dense/latency_mean"));
        assert!(!m(p, "qdrant_search/fanout/grpc/closed_c8/latency_mean"));
        assert!(!Pattern::new(p).unwrap().is_exact());
        for bad in ["a/{}/c", "a/{b,}/c", "a/x{b,c}/d", "a/{b,*}/c", "a/{b,c/d}"] {
            assert!(Pattern::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::new("").is_err());
        assert!(Pattern::new("a//b").is_err());
        assert!(Pattern::new("a/b**/c").is_err());
    }
}
