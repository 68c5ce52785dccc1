//! `amgi jobs list | show | retry`: the user's extraction jobs.

use crate::store::JobId;
use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::cli::JobsCommand;
use crate::domain::text::strip_controls;
use crate::setup::Settings;
use crate::store::{Job, JobCounts};

pub async fn run(settings: &Settings, command: &JobsCommand) -> anyhow::Result<()> {
    let (store, user) = settings.open().await?;
    match command {
        JobsCommand::List { status, limit } => {
            let counts = store.job_counts(user).await?;
            let jobs = store.list_jobs(user, *status, *limit).await?;
            crate::say!("{}", describe_counts(&counts));
            if jobs.is_empty() {
                crate::say!(
                    "no jobs{}",
                    status.map(|s| format!(" {s}")).unwrap_or_default()
                );
            } else {
                crate::terminal_text::print_stdout(&job_table(&jobs));
            }
        }
        JobsCommand::Show { id } => {
            let job = store
                .get_job(user, JobId(*id))
                .await
                .with_context(|| format!("cannot show job {id}"))?;
            crate::terminal_text::print_stdout(&job_details(&job));
        }
        JobsCommand::Retry { id: None, .. } => {
            let retried = store
                .retry_failed_jobs(user, Utc::now())
                .await
                .context("cannot retry the failed jobs")?;
            crate::say!(
                "{retried} failed job(s) pending again; a running worker or the app will pick them up"
            );
        }
        JobsCommand::Retry { id: Some(id), .. } => {
            let job = store
                .retry_job(user, JobId(*id), Utc::now())
                .await
                .with_context(|| format!("cannot retry job {id}"))?;
            crate::say!("{}", retried(&job));
        }
    }
    Ok(())
}

fn describe_counts(c: &JobCounts) -> String {
    format!(
        "jobs: {} pending, {} processing, {} completed, {} failed, {} skipped",
        c.pending, c.processing, c.completed, c.failed, c.skipped
    )
}

/// One line per job, under a header.
pub fn job_table(jobs: &[Job]) -> String {
    let mut out = format!(
        "{:>6}  {:<10}  {:>8}  {:>8}  {:<16}  {}\n",
        "ID", "STATE", "ATTEMPTS", "QUESTION", "UPDATED", "RESULT"
    );
    for job in jobs {
        let updated = job
            .completed_at
            .or(job.started_at)
            .unwrap_or(job.created_at);
        let _ = writeln!(
            out,
            "{:>6}  {:<10}  {:>8}  {:>8}  {:<16}  {}",
            job.id,
            job.status.as_str(),
            format!("{}/{}", job.attempts, job.max_attempts),
            job.source_id,
            local(updated),
            result_of(job)
        );
    }
    out
}

/// The short result column: the error code, or the cards a completed job kept.
fn result_of(job: &Job) -> String {
    let kept = job
        .payload
        .as_ref()
        .and_then(|p| p.get("kept"))
        .and_then(serde_json::Value::as_u64);
    match (job.error_code, kept) {
        (Some(code), _) => code.as_str().to_owned(),
        (None, Some(kept)) => format!("{kept} card(s)"),
        (None, None) => String::new(),
    }
}

/// Every field of one job, a `name: value` line each, the payload as indented JSON.
pub fn job_details(job: &Job) -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: String| {
        let _ = writeln!(out, "{name:<13}: {value}");
    };
    line("job", job.id.to_string());
    line("state", job.status.as_str().to_owned());
    line(
        "source",
        format!("{} {} ({})", job.source_kind, job.source_id, job.kind),
    );
    line(
        "version",
        job.source_version.map(local).unwrap_or_else(|| "-".into()),
    );
    line(
        "attempts",
        format!("{} of {}", job.attempts, job.max_attempts),
    );
    line("created", local(job.created_at));
    line("run after", local(job.run_after));
    line("started", job.started_at.map(local).unwrap_or_default());
    line("finished", job.completed_at.map(local).unwrap_or_default());
    if let Some(lease) = job.lease_expires_at {
        line("lease until", local(lease));
    }
    line("worker", job.worker_id.clone().unwrap_or_default());
    line(
        "error",
        match (job.error_code, &job.error_message) {
            (Some(code), Some(message)) => format!("{code}: {}", strip_controls(message, false)),
            (Some(code), None) => code.as_str().to_owned(),
            _ => "-".to_owned(),
        },
    );
    match &job.payload {
        Some(payload) => {
            let pretty = serde_json::to_string_pretty(payload).unwrap_or_default();
            let _ = writeln!(out, "payload      :\n{}", strip_controls(&pretty, true));
        }
        None => {
            let _ = writeln!(out, "payload      : -");
        }
    }
    out
}

/// What `jobs retry` says: the attempts were reset, and how many the job now has.
fn retried(job: &Job) -> String {
    format!(
        "job {} is pending again with its attempts reset ({} of {} used); a running worker or \
         the app will pick it up",
        job.id, job.attempts, job.max_attempts
    )
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JobErrorCode, JobId, JobStatus, UserId};

    fn job() -> Job {
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        Job {
            id: JobId(7),
            user: UserId(1),
            source_kind: "question".into(),
            source_id: 42,
            source_version: Some(t),
            kind: "card_extract".into(),
            status: JobStatus::Completed,
            attempts: 1,
            max_attempts: 2,
            error_code: None,
            error_message: None,
            payload: Some(serde_json::json!({"kept": 3, "dropped": {"leak": 1}})),
            created_at: t,
            started_at: Some(t),
            completed_at: Some(t),
            run_after: t,
            lease_expires_at: None,
            worker_id: Some("host:1:abcd".into()),
        }
    }

    #[test]
    fn the_table_shows_kept_cards_or_the_error() {
        let mut failed = job();
        failed.id = JobId(8);
        failed.status = JobStatus::Failed;
        failed.error_code = Some(JobErrorCode::LlmTimeout);
        let table = job_table(&[job(), failed]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("STATE") && lines[0].contains("RESULT"));
        assert!(lines[1].contains("completed") && lines[1].ends_with("3 card(s)"));
        assert!(lines[2].contains("1/2") && lines[2].ends_with("llm_timeout"));
    }

    #[test]
    fn retry_says_the_attempts_were_reset() {
        let mut retried_job = job();
        retried_job.status = JobStatus::Pending;
        retried_job.attempts = 0;
        let text = retried(&retried_job);
        assert!(text.contains("attempts reset (0 of 2 used)"), "{text}");
    }

    #[test]
    fn details_include_error_and_payload() {
        let mut failed = job();
        failed.error_code = Some(JobErrorCode::ParseFail);
        failed.error_message = Some("no JSON\u{7}".into());
        let text = job_details(&failed);
        assert!(
            text.contains("error        : parse_fail: no JSON\n"),
            "{text}"
        );
        assert!(text.contains("\"leak\": 1"), "{text}");
        assert!(text.contains("source       : question 42 (card_extract)"));
    }
}
