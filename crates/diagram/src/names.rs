//! Names in messages: control characters escaped, and the near miss suggested.

use std::borrow::Cow;

/// `s` with every control character written as an escape (`\0`, `\e`, `\n`, `\u{7f}`), so
/// a message quoting user input cannot move the terminal's cursor or hide text.
///
/// ```
/// use nc_diagram::names::escape_control;
/// assert_eq!(escape_control("a\u{0}b\u{1b}[2J"), "a\\0b\\e[2J");
/// assert_eq!(escape_control("plain"), "plain");
/// ```
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The candidate `word` was most likely meant as: the same word in another case, else the
/// closest one within two edits (ties go to the first). `None` when nothing is close.
///
/// ```
/// use nc_diagram::names::nearest;
/// let sizes = ["h", "k", "m", "x", "y"];
/// assert_eq!(nearest("K", sizes), Some("k"));
/// assert_eq!(nearest("heads", ["head", "batch"]), Some("head"));
/// assert_eq!(nearest("zzz", sizes), None);
/// ```
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = candidates
        .iter()
        .find(|c| **c != word && c.to_lowercase() == word.to_lowercase())
    {
        return Some(c);
    }
    // long inputs cannot be within two edits of a short name; skip the quadratic work
    let w: Vec<char> = word.chars().take(64).collect();
    candidates
        .iter()
        .filter(|c| **c != word)
        .map(|c| (edits(&w, &c.chars().take(64).collect::<Vec<_>>()), *c))
        .filter(|(d, c)| *d <= 2 && *d < c.chars().count().max(w.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edits(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_by_hand() {
        let d = |a: &str, b: &str| {
            edits(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("flaw", "lawn"), 2);
    }

    #[test]
    fn one_letter_names_suggest_only_by_case() {
        // every one-letter name is one edit from every other: that is no hint
        assert_eq!(nearest("q", ["h", "k"]), None);
        assert_eq!(nearest("H", ["h", "k"]), Some("h"));
    }
}
