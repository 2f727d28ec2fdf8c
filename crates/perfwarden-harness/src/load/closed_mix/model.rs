//! What a users' run is held against: Little's law for a closed system, the rate its users
//! would send at were the client never late, and the labels and line that show it.

use perfwarden::results::Metric;

use crate::load::mix_run::MixReport;

impl MixReport {
    /// Users only: `Σ users / (mean think + mean latency)` over the personas, with each
    /// persona's scaled mean think time and measured mean latency: the rate the users would
    /// send at were the client never late. None for an open-loop mix.
    pub fn model_rate(&self) -> Option<f64> {
        let users = self.users.as_ref()?;
        let personas = self.by_persona();
        let rate = users
            .per_persona
            .iter()
            .zip(&self.plan.mix.personas)
            .zip(&personas)
            .map(|((&n, p), (_, stats))| {
                let think = p.mean_think().as_secs_f64() * users.think_scale;
                let latency = stats.latency.mean_us() / 1e6;
                n as f64 / (think + latency).max(1e-9)
            })
            .sum();
        Some(rate)
    }

    /// Users only: the think scale on every metric, each persona's user count on its own,
    /// and the model rate beside the achieved one.
    pub(in crate::load) fn label_users(&self, metrics: &mut [Metric]) {
        let Some(users) = &self.users else {
            return;
        };
        let model = self.model_rate().unwrap_or(0.0);
        for m in metrics.iter_mut() {
            m.labels
                .insert("think_scale".into(), format!("{}", users.think_scale));
            if m.metric == "achieved_rate" {
                m.labels.insert("model_rate".into(), format!("{model:.2}"));
            }
            let persona = self
                .plan
                .mix
                .personas
                .iter()
                .position(|p| m.benchmark.ends_with(&format!("/persona/{}", p.name)));
            if let Some(i) = persona {
                m.labels
                    .insert("users".into(), users.per_persona[i].to_string());
            }
        }
    }

    /// Users only: how many of each persona, and the achieved rate against the model's.
    pub(in crate::load) fn users_line(&self) -> Option<String> {
        let users = self.users.as_ref()?;
        let who: Vec<String> = self
            .plan
            .mix
            .personas
            .iter()
            .zip(&users.per_persona)
            .map(|(p, n)| format!("{} {n}", p.name))
            .collect();
        Some(format!(
            "  users {} ({}), think x{}: achieved {:.1}/s, users / (think + latency) {:.1}/s",
            users.per_persona.iter().sum::<usize>(),
            who.join(", "),
            users.think_scale,
            self.report.achieved_rate(),
            self.model_rate().unwrap_or(0.0)
        ))
    }
}
