//! Progress for every subcommand: an indicatif bar on a terminal, plain lines in a log.
//!
//! indicatif draws nothing when stderr is not a terminal, so a Slurm or `nohup` log of a
//! long run would say nothing until the end. Off a terminal, [`Progress`] writes one line
//! (done/total, rate, elapsed, ETA) each time another 5% is done, and at least every
//! [`DEFAULT_INTERVAL_SECS`] seconds while updates keep coming; the variable
//! `NEUROCIRCUITS_PROGRESS_SECS` changes that interval.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Seconds between plain progress lines when no 5% step forces one.
pub const DEFAULT_INTERVAL_SECS: f64 = 30.0;
/// The environment variable that overrides [`DEFAULT_INTERVAL_SECS`].
pub const INTERVAL_ENV: &str = "NEUROCIRCUITS_PROGRESS_SECS";

/// What the position counts.
#[derive(Clone, Copy, Debug)]
pub enum Unit {
    /// Whole items, e.g. `steps` or `runs`: shown as `pos/len steps`.
    Count(&'static str),
    /// A fraction in thousandths, shown as a percentage.
    Permille,
}

/// A progress display shared by clones; every method takes `&self` and it is `Sync`, so
/// worker threads may report.
#[derive(Clone, Debug)]
pub struct Progress {
    inner: Inner,
}

#[derive(Clone, Debug)]
enum Inner {
    Bar(ProgressBar),
    Plain(Arc<Plain>),
}

/// Several progress displays at once (one per report part).
#[derive(Debug)]
pub struct Group {
    multi: Option<MultiProgress>,
}

impl Group {
    /// A group drawing on stderr.
    pub fn new() -> Self {
        Self {
            multi: std::io::stderr().is_terminal().then(MultiProgress::new),
        }
    }

    /// Adds a display labelled `label`.
    pub fn add(&self, len: u64, unit: Unit, label: &str) -> Progress {
        match &self.multi {
            Some(m) => Progress::bar(m.add(ProgressBar::new(len)), unit, label),
            None => Progress::plain(len, unit, label, interval_from_env(), Sink::Stderr),
        }
    }
}

impl Progress {
    /// A display of `len` units of `unit`, labelled `label` (may be empty).
    pub fn new(len: u64, unit: Unit, label: &str) -> Self {
        if std::io::stderr().is_terminal() {
            Self::bar(ProgressBar::new(len), unit, label)
        } else {
            Self::plain(len, unit, label, interval_from_env(), Sink::Stderr)
        }
    }

    fn bar(bar: ProgressBar, unit: Unit, label: &str) -> Self {
        let counts = match unit {
            Unit::Count(u) => format!("{{pos}}/{{len}} {u}"),
            Unit::Permille => "{percent:>3}%".to_string(),
        };
        let prefix = if label.is_empty() { "" } else { "{prefix:>9} " };
        let template =
            format!("{prefix}[{{bar:30}}] {counts} {{elapsed_precise}} eta {{eta}} {{msg}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Self {
            inner: Inner::Bar(bar),
        }
    }

    fn plain(len: u64, unit: Unit, label: &str, interval: Duration, sink: Sink) -> Self {
        Self {
            inner: Inner::Plain(Arc::new(Plain {
                label: label.to_string(),
                unit,
                interval,
                sink,
                state: Mutex::new(State {
                    len,
                    pos: 0,
                    message: String::new(),
                    start: Instant::now(),
                    first: None,
                    last_line: None,
                    last_step: None,
                    finished: false,
                }),
            })),
        }
    }

    /// Sets the total.
    pub fn set_length(&self, len: u64) {
        match &self.inner {
            Inner::Bar(b) => b.set_length(len),
            Inner::Plain(p) => p.update(|s| {
                if s.len != len {
                    s.len = len;
                    // a new total starts a new count of 5% steps
                    s.last_step = None;
                }
            }),
        }
    }

    /// Sets how much is done.
    pub fn set_position(&self, pos: u64) {
        match &self.inner {
            Inner::Bar(b) => b.set_position(pos),
            Inner::Plain(p) => p.update(|s| s.pos = pos),
        }
    }

    /// Sets the text after the counts (shown with the next line off a terminal).
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.inner {
            Inner::Bar(b) => b.set_message(message),
            Inner::Plain(p) => p.lock().message = message,
        }
    }

    /// Prints a line above the bar (or into the log).
    pub fn println(&self, line: impl AsRef<str>) {
        match &self.inner {
            Inner::Bar(b) => b.println(line.as_ref()),
            Inner::Plain(p) => p.write(&p.prefixed(line.as_ref())),
        }
    }

    /// Ends the display, leaving the final state (off a terminal, a closing line).
    pub fn finish(&self) {
        match &self.inner {
            Inner::Bar(b) => b.finish(),
            Inner::Plain(p) => p.finish(),
        }
    }

    /// Ends the display and removes the bar (off a terminal, a closing line).
    pub fn finish_and_clear(&self) {
        match &self.inner {
            Inner::Bar(b) => b.finish_and_clear(),
            Inner::Plain(p) => p.finish(),
        }
    }
}

fn interval_from_env() -> Duration {
    std::env::var(INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs_f64(DEFAULT_INTERVAL_SECS), |s| {
            Duration::from_secs_f64(s.min(1e6))
        })
}

/// Where plain lines go.
#[derive(Debug)]
enum Sink {
    Stderr,
    #[cfg(test)]
    Memory(Mutex<Vec<String>>),
}

#[derive(Debug)]
struct Plain {
    label: String,
    unit: Unit,
    interval: Duration,
    sink: Sink,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    len: u64,
    pos: u64,
    message: String,
    start: Instant,
    /// The first position reported and when: the rate counts from here, so a resumed run
    /// that starts at step 40 000 does not claim 40 000 steps in its first second.
    first: Option<(Instant, u64)>,
    last_line: Option<Instant>,
    /// The last 5% step a line was written for.
    last_step: Option<u64>,
    finished: bool,
}

/// Number of equal steps (5% each) that each force a line.
const STEPS: u64 = 20;

impl Plain {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let line = {
            let mut s = self.lock();
            change(&mut s);
            let now = Instant::now();
            if s.first.is_none() {
                // the clock starts with the work, not when the display was made
                s.first = Some((now, s.pos));
                s.start = now;
            }
            let step = (s.len > 0).then(|| s.pos.min(s.len) * STEPS / s.len);
            let new_step = step.is_some() && step > s.last_step;
            let due = s
                .last_line
                .is_none_or(|t| now.duration_since(t) >= self.interval);
            if s.finished || !(new_step || due) {
                return;
            }
            s.last_line = Some(now);
            if step.is_some() {
                s.last_step = step;
            }
            self.status(&s, now)
        };
        self.write(&line);
    }

    fn finish(&self) {
        let line = {
            let mut s = self.lock();
            if s.finished {
                return;
            }
            s.finished = true;
            let took = s.start.elapsed();
            let mut line = match self.unit {
                Unit::Count(u) if s.len > 0 => format!("done, {}/{} {u}", s.pos, s.len),
                Unit::Count(u) => format!("done, {} {u}", s.pos),
                Unit::Permille => "done".to_string(),
            };
            line.push_str(&format!(" in {}", duration(took)));
            if let Some(r) = rate(&s, Instant::now()).and_then(|r| self.rate_text(r)) {
                line.push_str(&format!(" ({r})"));
            }
            self.prefixed(&line)
        };
        self.write(&line);
    }

    /// The rate, for counted units (a rate of percent says nothing the ETA does not).
    fn rate_text(&self, per_sec: f64) -> Option<String> {
        match self.unit {
            Unit::Count(u) => Some(format!("{} {u}/s", number(per_sec))),
            Unit::Permille => None,
        }
    }

    /// `label: 1200/48000 steps (2.5%), 35.2 steps/s, elapsed 34s, ETA 22m 10s | message`.
    fn status(&self, s: &State, now: Instant) -> String {
        let mut line = match self.unit {
            Unit::Count(u) if s.len > 0 => format!(
                "{}/{} {u} ({:.1}%)",
                s.pos,
                s.len,
                100.0 * s.pos.min(s.len) as f64 / s.len as f64
            ),
            Unit::Count(u) => format!("{} {u}", s.pos),
            Unit::Permille => format!("{:.1}%", s.pos.min(1000) as f64 / 10.0),
        };
        let r = rate(s, now);
        if let Some(r) = r.and_then(|r| self.rate_text(r)) {
            line.push_str(&format!(", {r}"));
        }
        line.push_str(&format!(", elapsed {}", duration(s.start.elapsed())));
        let eta = match r {
            // done: nothing left, even when no rate could be measured (one jump to the end)
            _ if s.len > 0 && s.pos >= s.len => duration(Duration::ZERO),
            Some(r) if s.len > 0 => {
                let left = s.len.saturating_sub(s.pos) as f64 / r;
                duration(Duration::from_secs_f64(left.min(1e9)))
            }
            _ => "unknown".to_string(),
        };
        line.push_str(&format!(", ETA {eta}"));
        if !s.message.is_empty() {
            line.push_str(" | ");
            line.push_str(&s.message);
        }
        self.prefixed(&line)
    }

    fn prefixed(&self, line: &str) -> String {
        if self.label.is_empty() {
            line.to_string()
        } else {
            format!("{}: {line}", self.label)
        }
    }

    fn write(&self, line: &str) {
        match &self.sink {
            Sink::Stderr => {
                // a closed log must not stop the run
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            #[cfg(test)]
            Sink::Memory(lines) => lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line.to_string()),
        }
    }
}

/// Units per second since the first report, once some time has passed and some work was done.
fn rate(s: &State, now: Instant) -> Option<f64> {
    let (t0, p0) = s.first?;
    let secs = now.duration_since(t0).as_secs_f64();
    let done = s.pos.saturating_sub(p0);
    (secs > 0.0 && done > 0).then(|| done as f64 / secs)
}

/// Three significant figures, without exponent.
fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `4.2s`, `45s`, `3m 07s`, `2h 05m`.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 10 {
        format!("{:.1}s", d.as_secs_f64())
    } else if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(len: u64, unit: Unit, interval: Duration) -> (Progress, Arc<Plain>) {
        let p = Progress::plain(
            len,
            unit,
            "train",
            interval,
            Sink::Memory(Mutex::new(Vec::new())),
        );
        let Inner::Plain(plain) = &p.inner else {
            unreachable!("plain display")
        };
        let plain = Arc::clone(plain);
        (p, plain)
    }

    fn lines(p: &Plain) -> Vec<String> {
        match &p.sink {
            Sink::Memory(l) => l.lock().unwrap().clone(),
            Sink::Stderr => unreachable!("memory sink"),
        }
    }

    #[test]
    fn writes_a_line_per_five_percent_and_a_closing_line() {
        let (p, plain) = memory(1000, Unit::Count("steps"), Duration::from_secs(3600));
        for pos in 0..=1000 {
            p.set_position(pos);
        }
        p.finish();
        let l = lines(&plain);
        // the first report, one line per 5% step, and the closing line
        assert_eq!(l.len(), 1 + 20 + 1, "{l:#?}");
        assert!(l[1].starts_with("train: 50/1000 steps (5.0%)"), "{}", l[1]);
        assert!(l[1].contains("ETA"), "{}", l[1]);
        assert!(
            l[21].starts_with("train: done, 1000/1000 steps in"),
            "{}",
            l[21]
        );
    }

    #[test]
    fn the_interval_forces_lines_between_steps() {
        let (p, plain) = memory(1_000_000, Unit::Count("steps"), Duration::ZERO);
        for pos in 0..10 {
            p.set_position(pos);
        }
        assert_eq!(lines(&plain).len(), 10);
    }

    #[test]
    fn a_finished_bar_has_no_time_left_even_without_a_rate() {
        // a resumed sweep whose units were all done before: one jump to the end
        let (p, plain) = memory(5, Unit::Count("runs"), Duration::ZERO);
        p.set_position(5);
        let l = lines(&plain);
        let last = l.last().unwrap();
        assert!(
            last.contains("(100.0%)") && !last.contains("unknown"),
            "{last}"
        );
    }

    #[test]
    fn unknown_totals_and_fractions_still_read_well() {
        let (p, plain) = memory(0, Unit::Count("runs"), Duration::ZERO);
        p.set_position(3);
        p.set_message("rank 30");
        p.set_position(4);
        let l = lines(&plain);
        assert!(l[1].starts_with("train: 4 runs,"), "{}", l[1]);
        assert!(l[1].ends_with("ETA unknown | rank 30"), "{}", l[1]);
        let (p, plain) = memory(1000, Unit::Permille, Duration::from_secs(3600));
        p.set_position(0);
        p.set_position(412);
        assert!(
            lines(&plain)[1].starts_with("train: 41.2%,"),
            "{:?}",
            lines(&plain)
        );
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(Duration::from_millis(4240)), "4.2s");
        assert_eq!(duration(Duration::from_secs(45)), "45s");
        assert_eq!(duration(Duration::from_secs(187)), "3m 07s");
        assert_eq!(duration(Duration::from_secs(7500)), "2h 05m");
    }
}
