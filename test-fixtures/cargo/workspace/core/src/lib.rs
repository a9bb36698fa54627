//! The library the binding exposes: no napi, no tracing.

/// `text` with its words in reverse order.
pub fn reverse_words(text: &str) -> String {
    text.split_whitespace().rev().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_come_back_reversed() {
        assert_eq!(super::reverse_words("a b  c"), "c b a");
    }
}
