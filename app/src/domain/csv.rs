//! CSV for exports: UTF-8 with a byte order mark, so that Excel in Japanese opens it with the
//! right characters, CRLF line ends and RFC 4180 quoting.

/// The byte order mark Excel looks for.
pub const BOM: &str = "\u{feff}";

/// One field, quoted when it holds a comma, a quote or a line break. Text that a spreadsheet
/// would run as a formula (starting with `=`, `+`, `-` or `@`) is led by an apostrophe.
pub fn field(text: &str) -> String {
    let guarded;
    let text = if text.starts_with(['=', '+', '-', '@']) {
        guarded = format!("'{text}");
        guarded.as_str()
    } else {
        text
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A whole file: the BOM, then one CRLF-terminated line per row.
pub fn file<R, F>(rows: R) -> String
where
    R: IntoIterator<Item = F>,
    F: IntoIterator,
    F::Item: AsRef<str>,
{
    let mut out = String::from(BOM);
    for row in rows {
        let line: Vec<String> = row.into_iter().map(|f| field(f.as_ref())).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_has_a_bom_crlf_lines_and_quotes_what_needs_it() {
        let text = file([
            vec!["記録", "次回"],
            vec!["本人と面談, 落ち着いている", "\"様子見\"\n来週"],
        ]);
        assert_eq!(
            text,
            "\u{feff}記録,次回\r\n\"本人と面談, 落ち着いている\",\"\"\"様子見\"\"\n来週\"\r\n"
        );
        assert!(text.as_bytes().starts_with(&[0xEF, 0xBB, 0xBF]));
    }

    #[test]
    fn typed_text_is_never_run_as_a_formula() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@x"), "'@x");
        assert_eq!(field("来週"), "来週");
    }
}
