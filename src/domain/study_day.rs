//! The learner's local day: where "today" starts for the daily new-card limit, sibling
//! burying and the statistics. Days are counted in the learner's UTC offset at the moment of
//! asking; across a daylight-saving change a past day's boundary is off by that hour.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};

/// Milliseconds in a day, for day numbers computed by the database.
pub const DAY_MS: i64 = 86_400_000;

/// One local day of the learner, as the UTC instant it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudyDay {
    /// Local midnight of the day, in UTC.
    pub start: DateTime<Utc>,
}

impl StudyDay {
    /// The local day `now` falls in, for a learner at `offset`.
    pub fn of(now: DateTime<Utc>, offset: FixedOffset) -> StudyDay {
        let local = now.with_timezone(&offset);
        let midnight = local.date_naive().and_time(NaiveTime::MIN);
        // A fixed offset maps every local time to exactly one instant.
        let start = offset
            .from_local_datetime(&midnight)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        StudyDay { start }
    }

    /// The day `days` later (earlier when negative).
    pub fn plus(self, days: i64) -> StudyDay {
        StudyDay {
            start: self.start + Duration::days(days),
        }
    }

    /// The day's date on the learner's calendar.
    pub fn local_date(self, offset: FixedOffset) -> chrono::NaiveDate {
        self.start.with_timezone(&offset).date_naive()
    }

    /// Where the next day begins.
    pub fn end(self) -> DateTime<Utc> {
        self.plus(1).start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }

    fn seoul() -> FixedOffset {
        FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| panic!("offset"))
    }

    #[test]
    fn the_day_starts_at_local_midnight() {
        // 23:30 UTC on 1 March is 08:30 on 2 March in Seoul.
        let day = StudyDay::of(at("2026-03-01T23:30:00Z"), seoul());
        assert_eq!(day.start, at("2026-03-01T15:00:00Z"));
        assert_eq!(day.end(), at("2026-03-02T15:00:00Z"));
        // 14:59 UTC is still 1 March in Seoul (23:59).
        let day = StudyDay::of(at("2026-03-01T14:59:00Z"), seoul());
        assert_eq!(day.start, at("2026-02-28T15:00:00Z"));
    }

    #[test]
    fn utc_learners_start_at_utc_midnight() {
        let utc = FixedOffset::east_opt(0).unwrap_or_else(|| panic!("offset"));
        let day = StudyDay::of(at("2026-03-01T09:00:00Z"), utc);
        assert_eq!(day.start, at("2026-03-01T00:00:00Z"));
        assert_eq!(day.plus(-364).start, at("2025-03-02T00:00:00Z"));
    }
}
