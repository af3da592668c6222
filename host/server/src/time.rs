//! Dates as people and Auth's clients read them: UTC calendar times from seconds since
//! the epoch (the days-from-civil algorithm), and back.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and microseconds since the Unix epoch, now.
pub(crate) fn now_micros() -> (i64, u32) {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX), elapsed.subsec_micros())
}

/// `(year, month, day, seconds of the day)` of `time`.
fn civil(time: i64) -> (i64, i64, i64, i64) {
    let (days, secs) = (time.div_euclid(86_400), time.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day, secs)
}

/// Days since the epoch of a calendar date (the inverse of `civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-12-01T09:30:00Z`.
pub fn utc(time: i64) -> String {
    let (year, month, day, secs) = civil(time);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `2026-12-01T09:30:00` or `2026-12-01T09:30:00.250000`: naive UTC, as Auth's
/// Python `datetime.isoformat()` writes it (microseconds only when not zero).
pub(crate) fn naive_iso(time: i64, micros: u32) -> String {
    let (year, month, day, secs) = civil(time);
    let base =
        format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if micros == 0 { base } else { format!("{base}.{micros:06}") }
}

/// Seconds since the epoch of an ISO-8601 date-time: `YYYY-MM-DDTHH:MM[:SS[.f]]`
/// followed by `Z`, an offset `±HH:MM`, or nothing (UTC, as Auth reads it).
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if bytes.len() < 16
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
    {
        return None;
    }
    let (year, month, day, hour, minute) =
        (digits(0..4)?, digits(5..7)?, digits(8..10)?, digits(11..13)?, digits(14..16)?);
    let mut rest = &text[16..];
    let mut second = 0;
    if let Some(after) = rest.strip_prefix(':') {
        second = after.get(..2).filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()?;
        rest = &after[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
            if end == 0 {
                return None;
            }
            rest = &fraction[end..];
        }
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    let valid =
        (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second < 60;
    let days = days_from_civil(year, month, day);
    // A day past the month's end (`02-30`) does not come back as itself.
    (valid && civil(days * 86_400).2 == day)
        .then(|| days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_796_117_400), "2026-12-01T09:30:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(naive_iso(1_796_117_400, 0), "2026-12-01T09:30:00");
        assert_eq!(naive_iso(1_796_117_400, 250_000), "2026-12-01T09:30:00.250000");
    }

    #[test]
    fn iso_round_trips_and_rejects_nonsense() {
        for time in [0, 951_782_400, 1_796_117_400, 4_102_444_799] {
            assert_eq!(parse_iso(&utc(time)), Some(time));
            assert_eq!(parse_iso(&naive_iso(time, 123)), Some(time));
        }
        assert_eq!(parse_iso("2026-12-01T10:30:00+01:00"), Some(1_796_117_400));
        assert_eq!(parse_iso("2026-12-01T09:30"), Some(1_796_117_400));
        for bad in [
            "",
            "2026-12-01",
            "2026-02-30T00:00:00",
            "2026-13-01T00:00:00",
            "2026-12-01T09:30:00+1",
            "x026-12-01T09:30:00",
            "2026-12-01T09:30:00.Z",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }
}
