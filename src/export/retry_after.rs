//! The `Retry-After` response header: delta-seconds (`120`) or an HTTP-date in any of the
//! three forms HTTP recipients must accept (RFC 9110 §5.6.7).

use std::time::Duration;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How long the server asks us to wait, from `now_unix_nanos`; `None` if unparsable. A date
/// in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now_unix_nanos: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    let now = now_unix_nanos / 1_000_000_000;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the Unix epoch for an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), an
/// RFC 850 date (`Sunday, 06-Nov-94 08:49:37 GMT`) or an asctime date
/// (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(value: &str) -> Option<u64> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        [_, day, month, year, time, "GMT"] => (*day, *month, year.parse().ok()?, *time),
        [_, date, time, "GMT"] => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            let year: i64 = year.parse().ok()?;
            // Two-digit years: RFC 9110 says to read ones more than 50 years ahead as past.
            (
                day,
                month,
                if year < 70 {
                    2000 + year
                } else if year < 100 {
                    1900 + year
                } else {
                    year
                },
                *time,
            )
        }
        [_, month, day, time, year] => (*day, *month, year.parse().ok()?, *time),
        _ => return None,
    };
    // HTTP-dates have four-digit years; anything else is refused before any arithmetic,
    // so a hostile year cannot overflow.
    if !(1..=9999).contains(&year) {
        return None;
    }
    let month = MONTHS.iter().position(|name| *name == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let mut clock = time.split(':').map(|part| part.parse::<i64>().ok());
    let (hours, minutes, seconds) = (clock.next()??, clock.next()??, clock.next()??);
    let in_range = |value: i64, max: i64| (0..=max).contains(&value);
    if !(1..=31).contains(&day)
        || !in_range(hours, 23)
        || !in_range(minutes, 59)
        || !in_range(seconds, 60)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    u64::try_from(days * 86_400 + hours * 3_600 + minutes * 60 + seconds).ok()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06 08:49:37 UTC.
    const RFC_EXAMPLE: u64 = 784_111_777;

    #[test]
    fn reads_delta_seconds() {
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(Duration::ZERO));
    }

    #[test]
    fn reads_all_three_http_date_forms() {
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(date), Some(RFC_EXAMPLE), "{date}");
        }
    }

    #[test]
    fn a_date_is_relative_to_now_and_never_negative() {
        let now = (RFC_EXAMPLE - 30) * 1_000_000_000;
        let wait = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        assert_eq!(wait, Some(Duration::from_secs(30)));
        let past = parse_retry_after(
            "Sun, 06 Nov 1994 08:49:37 GMT",
            (RFC_EXAMPLE + 99) * 1_000_000_000,
        );
        assert_eq!(past, Some(Duration::ZERO));
    }

    #[test]
    fn garbage_is_ignored() {
        for bad in [
            "",
            "soon",
            "-5",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn absurd_years_and_fields_are_refused_without_overflow() {
        for hostile in [
            "Sun, 06 Nov 99999999999999 08:49:37 GMT",
            "Sun, 06 Nov -99999999999999 08:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Sunday, 06-Nov-9223372036854775807 08:49:37 GMT",
            "Sun Nov  6 08:49:37 -9223372036854775808",
            "Sun, 06 Nov 1994 -1:-1:-1 GMT",
            "Sun, 06 Nov 1994 08:49:9223372036854775807 GMT",
        ] {
            assert_eq!(parse_retry_after(hostile, u64::MAX), None, "{hostile:?}");
        }
        // The largest accepted date still yields a wait, from any clock.
        assert!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 0).is_some());
        assert_eq!(
            parse_retry_after("18446744073709551615", u64::MAX),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(value in "\\PC{0,60}", now in proptest::num::u64::ANY) {
            let _ = parse_retry_after(&value, now);
        }

        #[test]
        fn never_panics_on_date_shaped_text(
            weekday in "[A-Za-z]{0,9},?",
            day in proptest::num::i64::ANY,
            month in "(Jan|Feb|Nov|Dec|Foo)",
            year in proptest::num::i64::ANY,
            hours in proptest::num::i64::ANY,
            minutes in -100i64..100,
            now in proptest::num::u64::ANY,
        ) {
            let imf = format!("{weekday} {day} {month} {year} {hours}:{minutes}:00 GMT");
            let rfc850 = format!("{weekday} {day}-{month}-{year} {hours}:{minutes}:00 GMT");
            let asctime = format!("{weekday} {month} {day} {hours}:{minutes}:00 {year}");
            for text in [imf, rfc850, asctime] {
                let _ = parse_retry_after(&text, now);
            }
        }
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 24), 20_781);
    }
}

/// The cases `tests/vectors/retry_after.json` holds, which the browser exporter's test reads
/// too. (Read with serde_json, a native dev-dependency.)
#[cfg(all(test, not(target_arch = "wasm32")))]
mod vectors {
    use super::*;

    #[test]
    fn the_shared_vectors_hold() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/retry_after.json")).unwrap();
        let now_nanos = vectors["nowMs"].as_u64().unwrap() * 1_000_000;
        let cases = vectors["cases"].as_array().unwrap();
        assert!(cases.len() >= 15);
        for case in cases {
            let header = case["header"].as_str().unwrap();
            let expected = case["waitMs"].as_u64().map(Duration::from_millis);
            assert_eq!(
                parse_retry_after(header, now_nanos),
                expected,
                "{header:?}: {}",
                case["why"]
            );
        }
    }
}
