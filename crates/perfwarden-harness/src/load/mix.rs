//! Workload mixes as data: personas (how many users of each, how long they think between
//! requests) and the request kinds each sends, by weight, as the users' Locust plans have
//! them (seed 002: a researcher, a pipeline, a casual user). A mix lives in a TOML file
//! under `fixtures/personas/`; the suite that runs it provides the kinds
//! ([`Kinds`](super::Kinds)).
//!
//! ```toml
//! [[persona]]
//! name = "researcher"
//! users = 3                  # Locust's weight: how many of the users are researchers
//! think_ms = [2000, 10000]   # Locust's wait_time = between(2, 10)
//! kinds = { dense = 5, filtered = 3, hybrid = 2 }
//! ```
//!
//! Bad input is one line naming the file and the field: `fixtures/personas/x.toml:
//! persona[1] (pipeline).think_ms: 2000 ms is above 500 ms`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// A mix read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Mix {
    /// The file it came from (errors name it).
    pub path: PathBuf,
    /// The file's stem (`seed-002`): benchmarks are named after it.
    pub name: String,
    pub personas: Vec<Persona>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Persona {
    pub name: String,
    /// How many of the users follow this persona, relative to the others.
    pub users: f64,
    /// Each user waits a uniform time in `[think.0, think.1]` between its requests.
    pub think: (Duration, Duration),
    /// Request kinds by relative weight, in the file's order of names (sorted).
    pub kinds: Vec<(String, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMix {
    persona: Vec<RawPersona>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    name: String,
    users: f64,
    think_ms: [f64; 2],
    kinds: BTreeMap<String, f64>,
}

impl Persona {
    /// The mean time between two requests of one user, thinking only (the time a request
    /// takes is the target's, and small next to a think time of seconds).
    pub fn mean_think(&self) -> Duration {
        (self.think.0 + self.think.1) / 2
    }

    /// The requests per second this persona's users send together, per user of the mix's
    /// total: `users / mean think`. An open loop draws personas in this proportion.
    pub(crate) fn request_weight(&self) -> f64 {
        self.users / self.mean_think().as_secs_f64().max(1e-3)
    }
}

impl Mix {
    /// Reads and checks a mix file.
    pub fn read(path: &Path) -> Result<Mix, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Mix::parse(path, &text)
    }

    /// Parses and checks a mix; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Mix, String> {
        let at = |what: String| format!("{}: {what}", path.display());
        let raw: RawMix = toml::from_str(text).map_err(|e| at(toml_error(text, &e)))?;
        if raw.persona.is_empty() {
            return Err(at("persona: no [[persona]] given".into()));
        }
        let mut personas = Vec::with_capacity(raw.persona.len());
        for (i, p) in raw.persona.into_iter().enumerate() {
            let field = |f: &str| format!("persona[{i}] ({}).{f}", p.name);
            if p.name.trim().is_empty() || personas.iter().any(|q: &Persona| q.name == p.name) {
                return Err(at(format!("persona[{i}].name: empty or repeated")));
            }
            if !(p.users.is_finite() && p.users > 0.0) {
                return Err(at(format!(
                    "{}: {} is not a positive number",
                    field("users"),
                    p.users
                )));
            }
            let [lo, hi] = p.think_ms;
            if !(lo.is_finite() && hi.is_finite() && lo >= 0.0) {
                return Err(at(format!(
                    "{}: [{lo}, {hi}] must be two non-negative numbers",
                    field("think_ms")
                )));
            }
            if lo > hi {
                return Err(at(format!(
                    "{}: {lo} ms is above {hi} ms",
                    field("think_ms")
                )));
            }
            if p.kinds.is_empty() {
                return Err(at(format!("{}: no request kind given", field("kinds"))));
            }
            if let Some((k, w)) = p.kinds.iter().find(|(_, w)| !(w.is_finite() && **w > 0.0)) {
                return Err(at(format!(
                    "{}: {w} is not a positive weight",
                    field(&format!("kinds.{k}"))
                )));
            }
            let ms = |v: f64| Duration::from_secs_f64(v / 1000.0);
            personas.push(Persona {
                think: (ms(lo), ms(hi)),
                users: p.users,
                kinds: p.kinds.into_iter().collect(),
                name: p.name,
            });
        }
        let name = path
            .file_stem()
            .map_or_else(|| "mix".into(), |s| s.to_string_lossy().into_owned());
        Ok(Mix {
            path: path.to_path_buf(),
            name,
            personas,
        })
    }

    /// Every kind some persona sends, sorted, once.
    pub fn kinds(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .personas
            .iter()
            .flat_map(|p| p.kinds.iter().map(|(k, _)| k.clone()))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// A TOML error in one line: where (line and column) and what, which names the field.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().replace(['\n', '\r'], " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line} column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mix, String> {
        Mix::parse(Path::new("fixtures/personas/x.toml"), text)
    }

    const GOOD: &str = r#"
[[persona]]
name = "researcher"
users = 3
think_ms = [2000, 10000]
kinds = { dense = 5, filtered = 3 }

[[persona]]
name = "pipeline"
users = 1
think_ms = [500, 2000]
kinds = { fanout = 1 }
"#;

    #[test]
    fn a_mix_reads_with_its_weights_and_think_times() {
        let mix = parse(GOOD).unwrap();
        assert_eq!(mix.name, "x");
        assert_eq!(mix.kinds(), ["dense", "fanout", "filtered"]);
        let r = &mix.personas[0];
        assert_eq!(r.mean_think(), Duration::from_secs(6));
        assert_eq!(r.kinds, [("dense".into(), 5.0), ("filtered".into(), 3.0)]);
        // 3 researchers at one request per 6 s, 1 pipeline at one per 1.25 s.
        assert_eq!(r.request_weight(), 0.5);
        assert_eq!(mix.personas[1].request_weight(), 0.8);
    }

    #[test]
    fn each_mistake_is_one_line_naming_the_file_and_the_field() {
        let cases = [
            (
                GOOD.replace("think_ms = [500, 2000]", "think_ms = [2000, 500]"),
                "fixtures/personas/x.toml: persona[1] (pipeline).think_ms: 2000 ms is above 500 ms",
            ),
            (
                GOOD.replace("users = 1", "users = 0"),
                "fixtures/personas/x.toml: persona[1] (pipeline).users: 0 is not a positive number",
            ),
            (
                GOOD.replace("fanout = 1", "fanout = -1"),
                "fixtures/personas/x.toml: persona[1] (pipeline).kinds.fanout: -1 is not a positive weight",
            ),
            (
                GOOD.replace("kinds = { fanout = 1 }", "kinds = {}"),
                "fixtures/personas/x.toml: persona[1] (pipeline).kinds: no request kind given",
            ),
            (
                GOOD.replace("\"pipeline\"", "\"researcher\""),
                "fixtures/personas/x.toml: persona[1].name: empty or repeated",
            ),
            (
                "".to_string(),
                "fixtures/personas/x.toml: line 1 column 1: missing field `persona`",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&text).unwrap_err(), want);
        }
        let e = parse(&GOOD.replace("users = 3", "userz = 3")).unwrap_err();
        assert!(
            e.starts_with("fixtures/personas/x.toml: line 4 column 1: unknown field `userz`"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
